"""Shared demo data for the generator tests: generated once per session, in memory."""

from __future__ import annotations

from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest

from segscope.demo import generate

N_USERS = 4_000
SEED = 7
AS_OF = "2026-06-01"

# The user_features definitions of the dbt project, restated in plain SQL so the planted
# differences can be checked on the raw data alone: deduplicated events of known users, in
# the 7 days after signup, users whose window has ended, 30-minute-gap sessions.
FEATURES_SQL = """
with

windows as (
    select
        user_id,
        device,
        signed_up_at as window_start,
        signed_up_at + interval 7 day as window_end,
    from raw.users
    where signed_up_at + interval 7 day <= timestamp '{as_of}'
),

in_window as (
    select distinct events.*, windows.window_start, windows.window_end,
    from raw.events as events
    inner join windows
        on
            events.user_id = windows.user_id
            and events.occurred_at >= windows.window_start
            and events.occurred_at < windows.window_end
),

with_previous as (
    select
        *,
        lag(occurred_at) over (partition by user_id order by occurred_at, event_id)
            as previous_at,
    from in_window
),

sessionized as (
    select
        *,
        sum(case when previous_at is null or occurred_at >= previous_at + interval 30 minute
            then 1 else 0 end)
            over (partition by user_id order by occurred_at, event_id rows unbounded preceding)
            as session_number,
        hour(occurred_at) as hour_of_day,
    from with_previous
),

aggregates as (
    select
        user_id,
        count(*) as n_events,
        count(distinct cast(occurred_at as date)) as active_days,
        count(distinct session_number) as n_sessions,
        count(*) / count(distinct session_number) as events_per_session,
        coalesce(sum(duration_seconds), 0) as total_value,
        count(distinct item_id) as n_distinct_items,
        {kind_counts},
        min(epoch(window_end - occurred_at)) / 86400 as days_since_last_event,
        avg(case when hour_of_day between 0 and 5 then 1.0 else 0.0 end) as share_night,
        avg(case when hour_of_day between 6 and 11 then 1.0 else 0.0 end) as share_morning,
        avg(case when hour_of_day between 12 and 17 then 1.0 else 0.0 end) as share_afternoon,
        avg(case when hour_of_day between 18 and 23 then 1.0 else 0.0 end) as share_evening,
        avg(case when isodow(occurred_at) >= 6 then 1.0 else 0.0 end) as share_weekend,
    from sessionized
    group by user_id
)

select
    windows.user_id,
    truth.persona,
    truth.sub_persona,
    windows.device,
    aggregates.* exclude (user_id),
from windows
inner join raw.persona_truth as truth on windows.user_id = truth.user_id
left join aggregates on windows.user_id = aggregates.user_id
"""

# the ten kinds the brief fixes, restated rather than imported from the code under test
EVENT_KINDS = (
    "page_viewed",
    "search_performed",
    "video_started",
    "video_finished",
    "exercise_started",
    "exercise_submitted",
    "quiz_completed",
    "study_plan_configured",
    "material_downloaded",
    "forum_posted",
)


@pytest.fixture(scope="session")
def settings() -> SimpleNamespace:
    """How the shared demo data was generated."""
    return SimpleNamespace(n_users=N_USERS, seed=SEED, as_of=AS_OF, event_kinds=EVENT_KINDS)


@pytest.fixture(scope="session")
def demo() -> tuple[duckdb.DuckDBPyConnection, dict]:
    """An in-memory database with the demo tables in schema raw, and generate()'s result."""
    con = duckdb.connect()
    result = generate(con, n_users=N_USERS, seed=SEED, schema="raw", as_of=AS_OF)
    yield con, result
    con.close()


@pytest.fixture(scope="session")
def con(demo) -> duckdb.DuckDBPyConnection:
    return demo[0]


@pytest.fixture(scope="session")
def features(con) -> pd.DataFrame:
    """One row per eligible user: persona truth, device and the user_features columns."""
    kind_counts = ",\n        ".join(
        f"count(*) filter (event_name = '{kind}') as n_{kind}" for kind in EVENT_KINDS
    )
    frame = con.sql(FEATURES_SQL.format(as_of=AS_OF, kind_counts=kind_counts)).df()
    # users without events in their window get the catalog defaults
    counts = [c for c in frame.columns if c.startswith("n_") or c.startswith("share_")]
    defaults = {c: 0 for c in counts}
    defaults.update(
        active_days=0,
        events_per_session=0,
        total_value=0,
        days_since_last_event=7,
    )
    return frame.fillna(defaults)
