"""The demo generator: shapes, determinism, personas, dirt and time sanity of the tables."""

from __future__ import annotations

import math
import re

import duckdb
import pytest

from segscope.demo import PERSONAS, generate
from segscope.demo.personas import (
    DUPLICATE_EVENT_SHARE,
    ITEM_FAMILIES,
    ORPHAN_EVENT_SHARE,
    SIGNUP_DAYS,
    leaves,
)

TABLES = ("users", "events", "persona_truth")
AS_OF = "2026-06-01"


def _checksum(con: duckdb.DuckDBPyConnection, table: str) -> tuple:
    """Row count and an order-independent hash over every column of every row."""
    return con.execute(f"select count(*), sum(hash(t)) from raw.{table} as t").fetchall()[0]


def _checksums(n_users: int, seed: int, threads: int | None = None) -> dict[str, tuple]:
    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {threads}")
    generate(con, n_users=n_users, seed=seed)
    sums = {table: _checksum(con, table) for table in TABLES}
    con.close()
    return sums


def test_columns_and_types(con):
    expected = {
        "users": [
            ("user_id", "BIGINT"),
            ("signed_up_at", "TIMESTAMP"),
            ("country", "VARCHAR"),
            ("device", "VARCHAR"),
            ("acquisition_channel", "VARCHAR"),
            ("is_paying", "BOOLEAN"),
            ("plan", "VARCHAR"),
            ("churned_at", "TIMESTAMP"),
        ],
        "events": [
            ("event_id", "BIGINT"),
            ("user_id", "BIGINT"),
            ("event_name", "VARCHAR"),
            ("occurred_at", "TIMESTAMP"),
            ("item_id", "VARCHAR"),
            ("duration_seconds", "DOUBLE"),
        ],
        "persona_truth": [
            ("user_id", "BIGINT"),
            ("persona", "VARCHAR"),
            ("sub_persona", "VARCHAR"),
            ("is_outlier", "BOOLEAN"),
        ],
    }
    for table, columns in expected.items():
        described = con.execute(f"describe raw.{table}").fetchall()
        assert [(row[0], row[1]) for row in described] == columns, table


def test_result_reports_row_counts(demo, settings):
    con, result = demo
    for table in TABLES:
        assert result[table] == con.execute(f"select count(*) from raw.{table}").fetchall()[0][0]
    assert result["users"] == result["persona_truth"] == settings.n_users
    assert result["seconds"] >= 0 and set(result["step_seconds"]) >= {"users", "events"}


def test_same_seed_same_data_whatever_the_threads():
    assert _checksums(1_500, seed=3) == _checksums(1_500, seed=3, threads=1)


def test_different_seed_different_data():
    first, second = _checksums(1_500, seed=3), _checksums(1_500, seed=4)
    for table in TABLES:
        assert first[table] != second[table], table


def test_users_are_unique_and_sign_up_in_the_period(con, settings):
    n, distinct, first, last = con.execute(
        "select count(*), count(distinct user_id), min(signed_up_at), max(signed_up_at) "
        "from raw.users"
    ).fetchall()[0]
    assert n == distinct == settings.n_users
    period_start = con.execute(
        f"select timestamp '{AS_OF}' - interval {SIGNUP_DAYS} day"
    ).fetchall()[0][0]
    assert (
        period_start <= first and last < con.execute(f"select timestamp '{AS_OF}'").fetchall()[0][0]
    )


def test_truth_covers_every_user_exactly_once(con):
    missing, extra, repeated, null_subs = con.execute(
        """
        select
            (select count(*) from raw.users anti join raw.persona_truth using (user_id)),
            (select count(*) from raw.persona_truth anti join raw.users using (user_id)),
            (select count(*) - count(distinct user_id) from raw.persona_truth),
            (select count(*) from raw.persona_truth where sub_persona is null)
        """
    ).fetchall()[0]
    assert (missing, extra, repeated, null_subs) == (0, 0, 0, 0)


def test_every_persona_and_sub_persona_present(con):
    found = set(
        con.execute("select distinct persona, sub_persona from raw.persona_truth").fetchall()
    )
    assert found == {(leaf.persona.name, leaf.sub_persona) for leaf in leaves()}


def test_persona_shares_match_the_spec(con, settings):
    n_users = settings.n_users
    shares = dict(
        con.execute(
            f"select persona, count(*) / {n_users} from raw.persona_truth group by 1"
        ).fetchall()
    )
    for persona in PERSONAS:
        # five binomial standard errors: fails by chance about once in a million runs
        tolerance = 5 * math.sqrt(persona.share * (1 - persona.share) / n_users)
        assert shares[persona.name] == pytest.approx(persona.share, abs=tolerance), persona.name


def test_sub_persona_shares_match_the_spec(con, settings):
    shares = dict(
        con.execute(
            "select sub_persona, count(*) / sum(count(*)) over (partition by persona) "
            "from raw.persona_truth group by persona, sub_persona"
        ).fetchall()
    )
    for persona in PERSONAS:
        for sub in persona.sub_personas:
            n_parent = settings.n_users * persona.share
            tolerance = 5 * math.sqrt(sub.share * (1 - sub.share) / n_parent)
            assert shares[sub.name] == pytest.approx(sub.share, abs=tolerance), sub.name


def test_only_bots_are_outliers(con):
    rows = con.execute("select distinct persona, is_outlier from raw.persona_truth").fetchall()
    assert {persona for persona, outlier in rows if outlier} == {"bots"}
    assert all(persona != "bots" for persona, outlier in rows if not outlier)


def test_all_ten_event_kinds_and_nothing_else(con, settings):
    kinds = {row[0] for row in con.execute("select distinct event_name from raw.events").fetchall()}
    assert kinds == set(settings.event_kinds)


def test_items_only_on_content_events_and_well_formed(con):
    rows = con.execute(
        "select event_name, item_id from raw.events using sample 20000 rows (reservoir, 1)"
    ).fetchall()
    pattern = re.compile(
        r"(video|exercise|quiz|material|forum):"
        r"(math|physics|chemistry|biology|history|geography|portuguese|english):\d{4}"
    )
    for event_name, item_id in rows:
        if event_name in ITEM_FAMILIES:
            assert pattern.fullmatch(item_id), item_id
            assert item_id.startswith(ITEM_FAMILIES[event_name] + ":")
        else:
            assert item_id is None, event_name


def test_durations_only_where_they_mean_something(con):
    rows = dict(
        con.execute(
            "select event_name, count(duration_seconds) = count(*) from raw.events group by 1"
        ).fetchall()
    )
    assert rows.pop("video_finished") and rows.pop("exercise_submitted")
    assert (
        con.execute(
            "select count(*) from raw.events where duration_seconds is not null "
            "and event_name not in ('video_finished', 'exercise_submitted')"
        ).fetchall()[0][0]
        == 0
    )
    assert con.execute("select min(duration_seconds) > 0 from raw.events").fetchall()[0][0]


def test_no_event_at_or_after_as_of(con):
    assert (
        con.execute(
            f"select count(*) from raw.events where occurred_at >= timestamp '{AS_OF}'"
        ).fetchall()[0][0]
        == 0
    )


def test_time_sanity_relative_to_signup(con):
    too_early, anonymous, after_window, total = con.execute(
        """
        select
            count(*) filter (occurred_at < signed_up_at - interval 1 hour),
            count(*) filter (occurred_at < signed_up_at),
            count(*) filter (occurred_at >= signed_up_at + interval 7 day),
            count(*),
        from raw.events inner join raw.users using (user_id)
        """
    ).fetchall()[0]
    assert too_early == 0
    # a little anonymous browsing before signup, and a tail after the 7-day window that an
    # as-of rule must cut
    assert 0 < anonymous < 0.01 * total
    assert 0.05 * total < after_window < 0.5 * total


def test_orphan_share_as_planted(con):
    share = con.execute(
        "select avg(case when users.user_id is null then 1.0 else 0.0 end) "
        "from (select distinct * from raw.events) as events "
        "left join raw.users using (user_id)"
    ).fetchall()[0][0]
    assert share == pytest.approx(ORPHAN_EVENT_SHARE, rel=0.3)
    max_user = con.execute("select max(user_id) from raw.users").fetchall()[0][0]
    assert (
        con.execute(
            "select min(user_id) from raw.events where user_id not in "
            "(select user_id from raw.users)"
        ).fetchall()[0][0]
        > max_user
    )


def test_duplicates_are_exact_and_as_planted(con):
    n_rows, n_distinct_rows, n_ids = con.execute(
        "select (select count(*) from raw.events), "
        "(select count(*) from (select distinct * from raw.events)), "
        "(select count(distinct event_id) from raw.events)"
    ).fetchall()[0]
    # exact duplicates: the distinct rows are the distinct ids
    assert n_distinct_rows == n_ids
    assert (n_rows - n_ids) / n_ids == pytest.approx(DUPLICATE_EVENT_SHARE, rel=0.3)
    assert (
        con.execute(
            "select max(n) from (select count(*) as n from raw.events group by event_id)"
        ).fetchall()[0][0]
        == 2
    )


def test_some_users_have_no_events_and_they_are_casual(con):
    personas = {
        row[0]
        for row in con.execute(
            "select distinct persona from raw.persona_truth anti join raw.events using (user_id)"
        ).fetchall()
    }
    assert "casual_visitors" in personas and "bots" not in personas


def test_leaky_columns_follow_the_persona(con):
    rates = {
        persona: (paying, churned)
        for persona, paying, churned in con.execute(
            """
            select
                truth.persona,
                avg(case when users.is_paying then 1.0 else 0.0 end),
                avg(case when users.churned_at is not null then 1.0 else 0.0 end),
            from raw.users as users
            inner join raw.persona_truth as truth using (user_id)
            group by 1
            """
        ).fetchall()
    }
    assert rates["casual_visitors"][0] < 0.05 < 0.2 < rates["exercise_grinders"][0]
    assert rates["bots"] == (0.0, 0.0)
    assert rates["casual_visitors"][1] > 0.5 > 0.25 > rates["community_members"][1]


def test_leaky_columns_are_consistent(con):
    bad = con.execute(
        f"""
        select
            count(*) filter (plan not in ('free', 'monthly', 'annual')),
            count(*) filter (is_paying and plan = 'free'),
            count(*) filter (is_paying and churned_at is not null),
            count(*) filter (churned_at <= signed_up_at or churned_at >= timestamp '{AS_OF}'),
            count(*) filter (device not in ('mobile', 'desktop', 'tablet')),
            count(*) filter (acquisition_channel
                not in ('organic', 'paid_search', 'social', 'referral', 'email')),
            count(*) filter (country is null),
        from raw.users
        """
    ).fetchall()[0]
    assert bad == (0,) * 7


def test_sessions_are_bursts(con):
    # consecutive events of a user: mostly minutes apart (a session), sometimes hours apart
    within, hours_apart = con.execute(
        """
        select
            avg(case when gap_minutes < 30 then 1.0 else 0.0 end),
            avg(case when gap_minutes >= 180 then 1.0 else 0.0 end),
        from (
            select epoch(occurred_at - lag(occurred_at) over (
                partition by user_id order by occurred_at)) / 60 as gap_minutes
            from (select distinct * from raw.events)
        )
        where gap_minutes is not null
        """
    ).fetchall()[0]
    assert within > 0.9
    assert hours_apart > 0.02


def test_rerun_replaces_the_tables(tmp_path):
    con = duckdb.connect(str(tmp_path / "demo.duckdb"))
    generate(con, n_users=300)
    result = generate(con, n_users=200)
    assert con.execute("select count(*) from raw.users").fetchall()[0][0] == 200
    assert con.execute("select count(*) from raw.persona_truth").fetchall()[0][0] == 200
    assert result["users"] == 200
    con.close()


def test_other_schema_and_one_user():
    con = duckdb.connect()
    result = generate(con, n_users=1, seed=1, schema="demo_raw")
    assert result["users"] == 1
    assert con.execute("select count(*) from demo_raw.persona_truth").fetchall()[0][0] == 1


def test_leaves_the_connection_clean(con):
    temporaries = con.execute(
        "select count(*) from duckdb_tables() where table_name like 'segscope_demo_%'"
    ).fetchall()[0][0]
    macros = con.execute(
        "select count(*) from duckdb_functions() where function_name = 'segscope_draw'"
    ).fetchall()[0][0]
    assert (temporaries, macros) == (0, 0)


def test_all_or_nothing_on_failure():
    con = duckdb.connect()
    # a view where the events table should go makes the third statement fail
    con.execute("create schema raw")
    con.execute("create view raw.events as select 1 as x")
    with pytest.raises(duckdb.Error):
        generate(con, n_users=100)
    tables = {
        row[0]
        for row in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'"
        ).fetchall()
    }
    assert tables == set()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"n_users": 0}, "n_users must be between 1"),
        ({"n_users": -5}, "n_users must be between 1"),
        ({"n_users": 2.5}, "n_users must be a whole number"),
        ({"n_users": True}, "n_users must be a whole number"),
        ({"seed": -1}, "seed must be between 0"),
        ({"seed": "42"}, "seed must be a whole number"),
        ({"schema": "raw; drop table x"}, "schema must be a plain SQL identifier"),
        ({"as_of": "next tuesday"}, "as_of must be an ISO date"),
        ({"as_of": "2026-06-01T00:00:00+02:00"}, "as_of must be a naive"),
        ({"as_of": "1970-01-02"}, "as_of must be 1970-05-02 or later"),
    ],
)
def test_bad_arguments_raise_clear_errors(arguments, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        generate(duckdb.connect(), **arguments)
