"""The data layer end to end on the demo data: one row per eligible user, features as declared."""

from __future__ import annotations

import pytest


@pytest.fixture
def built(project):
    result = project.build_data_layer()
    assert result.returncode == 0, result.output
    return project


def test_one_row_per_eligible_user(built, fixture_users):
    (n_rows, n_keys), = built.query("select count(*), count(distinct user_id) from user_features")
    # eligible: signed up, and the whole 7-day window lies before the latest event
    (expected,), = built.query(
        "select count(*) from raw.users where signed_up_at + interval 7 day "
        "<= (select max(occurred_at) from raw.events)"
    )
    assert n_rows == n_keys == expected
    assert 0.8 * fixture_users < expected < fixture_users


def test_event_counts_match_a_recount_from_raw_events(built):
    """Duplicates counted once, orphans and events outside the window not at all."""
    mismatches = built.query(
        """
        with raw_in_window as (
            select users.user_id, count(distinct events.event_id) as n_events
            from raw.users
            left join raw.events
                on events.user_id = users.user_id
                and events.occurred_at >= users.signed_up_at
                and events.occurred_at < users.signed_up_at + interval 7 day
            group by users.user_id
        )
        select user_features.user_id
        from user_features join raw_in_window using (user_id)
        where user_features.n_events != raw_in_window.n_events
        """
    )
    assert mismatches == []


def test_users_without_events_get_the_catalog_defaults(built):
    rows = built.query(
        "select n_events, n_sessions, share_evening, days_since_last_event from user_features "
        "where n_events = 0"
    )
    assert rows, "the demo's casual visitors include users who did nothing in their window"
    assert set(rows) == {(0, 0, 0.25, 7.0)}


def test_feature_catalog_lists_every_feature_with_its_hypothesis(built):
    columns = [c for (c,) in built.query(
        "select column_name from information_schema.columns where table_schema = 'main' "
        "and table_name in ('user_features', 'user_event_features') and column_name != 'user_id' "
        "order by table_name = 'user_event_features', ordinal_position")]
    catalog = built.query(
        "select feature_name, kind, transform, hypothesis from feature_catalog "
        "order by feature_position"
    )
    assert [row[0] for row in catalog] == columns
    assert all(hypothesis for *_, hypothesis in catalog)
    kinds = {name: kind for name, kind, *_ in catalog}
    assert kinds["device"] == "categorical" and kinds["n_video_started"] == "count"


def test_the_truth_table_is_not_upstream_of_features(built, fixture_users):
    (n_truth,), = built.query("select count(*) from raw.persona_truth")
    assert n_truth == fixture_users
    assert built.failures_of("gate_user_features_no_leakage") == []
