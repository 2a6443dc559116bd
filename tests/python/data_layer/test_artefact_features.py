"""No artefact features: a smoothed share whose raw value is the same for every user (dates
without a time of day, a shop closed at weekends) is not segmented on and names nothing; a
fixed window starts at the same time for everybody, so when a user joined is kept."""

from __future__ import annotations

import duckdb
import pytest

from segscope.cli import main as segscope
from shop_log import SHOP_VARS, write_shop

TIME_SHARES = {"share_night", "share_morning", "share_afternoon", "share_evening",
               "share_weekend"}


@pytest.fixture
def closed_shop(project_class, tmp_path):
    """The shop log with dates only (every event and signup at midnight) and no weekend
    trading (Saturday and Sunday events move to Monday)."""
    project = project_class(tmp_path / "closed_shop")
    with duckdb.connect(str(project.db)) as con:
        write_shop(con, n_users=1500, seed=5)
        con.execute("update shop.customers set first_seen = date_trunc('day', first_seen)")
        con.execute("""update shop.activity set happened_at = date_trunc('day', happened_at)
            + interval (case dayofweek(happened_at) when 6 then 2 when 0 then 1 else 0 end) day""")
    return project


def test_shares_without_information_are_not_segmented_and_name_nothing(closed_shop, capsys):
    result = closed_shop.build(vars=SHOP_VARS)
    assert result.returncode == 0, result.output[-3000:]
    reasons = dict(closed_shop.query(
        "select feature_name, not_segmented_because from feature_catalog"))
    told = {name for name, reason in reasons.items() if reason}
    assert told == TIME_SHARES
    assert all("the same for every user before smoothing" in reasons[name] for name in told)
    assert reasons["share_weekend"].endswith("= 0.0"), "no weekend event at all"
    assert reasons["share_night"].endswith("= 1.0"), "every event at midnight"
    logged = dict(closed_shop.query(
        "select name, detail from segmentation_preprocess_log "
        "where step = 'drop_column' and segment_id = 'root'"))
    assert {name: logged.get(name) for name in TIME_SHARES} == {
        name: reasons[name] for name in TIME_SHARES}
    # still profiled (a person may look), but never the reason a segment is named
    profiled = closed_shop.query(
        "select distinct feature_name from segment_profiles where not is_informative")
    assert {name for (name,) in profiled} == TIME_SHARES
    assert segscope(["catalog", "--db", str(closed_shop.db)]) == 0
    shown = capsys.readouterr().out
    assert f"  - share_weekend: {reasons['share_weekend']}" in shown
    words = " ".join(f"{name} {observations}" for name, observations in closed_shop.query(
        "select name, coalesce(key_observations, '') from segments"))
    assert not [share for share in TIME_SHARES
                if share in words or share.replace("_", " ") in words], words


def test_a_real_clock_keeps_every_time_share(project_class, tmp_path):
    project = project_class(tmp_path / "shop")
    with duckdb.connect(str(project.db)) as con:
        write_shop(con, n_users=400, seed=2)
    result = project.build_data_layer(vars=SHOP_VARS)
    assert result.returncode == 0, result.output[-3000:]
    assert project.query(
        "select feature_name from feature_catalog where not_segmented_because is not null") == []


def test_a_fixed_window_starts_for_everybody_at_window_start(project_class, tmp_path):
    project = project_class(tmp_path / "fixed")
    with duckdb.connect(str(project.db)) as con:
        write_shop(con, n_users=600, seed=4)  # customers join 2026-03-01 .. 2026-03-31
    fixed = {**SHOP_VARS, "segscope_window_mode": "fixed",
             "segscope_window_start": "2026-03-01", "segscope_window_cutoff": "2026-03-21"}
    result = project.build_data_layer(vars=fixed)
    assert result.returncode == 0, result.output[-3000:]
    (starts, eligible, late), = project.query(
        "select count(distinct window_start), count(*), "
        "count(case when signed_up_at >= timestamp '2026-03-21' then 1 end) "
        "from int_users__observation_windows")
    (joined_before_cutoff,), = project.query(
        "select count(*) from shop.customers where first_seen < timestamp '2026-03-21'")
    assert (starts, late) == (1, 0) and eligible == joined_before_cutoff
    # when a user joined is part of the window: nobody's first event comes before it
    (early, spread), = project.query("""
        select
            count(case when features.days_to_first_event
                < date_diff('minute', timestamp '2026-03-01', customers.first_seen) / 1440.0
                then 1 end),
            max(features.days_to_first_event) - min(features.days_to_first_event)
        from user_features as features
        inner join shop.customers on customers.customer_ref = features.user_id""")
    assert early == 0 and spread > 15
