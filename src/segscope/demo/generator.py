"""Generate the demo tables in DuckDB SQL: users, events and the persona truth.

Everything random is a hash of (seed, key, salt) turned into a uniform in [0, 1), so the
tables are the same for a seed whatever the thread count or row order. Per-user counts are
drawn in SQL and expanded with ``unnest(range(n))``: there is no Python loop over rows.
The parameters come from :mod:`segscope.demo.personas` as small VALUES tables.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timedelta

import duckdb

from segscope.demo import sql
from segscope.demo.personas import (
    COUNTRY_WEIGHTS,
    DAY_ORDERS,
    DUPLICATE_EVENT_SHARE,
    EVENT_ID_STRIDE,
    EVENT_KINDS,
    ITEM_FAMILIES,
    ITEMS_PER_SUBJECT,
    ORPHAN_EVENT_SHARE,
    PERSONAS,
    SIGNUP_DAYS,
    SUBJECTS,
    TAIL_LAST_DAY,
    WINDOW_DAYS,
    Leaf,
    Persona,
    Ratio,
    leaves,
    validate_personas,
)

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_EARLIEST_AS_OF = datetime(1970, 1, 1) + timedelta(days=SIGNUP_DAYS + 1)
MAX_USERS = 100_000_000  # event ids (user_id * EVENT_ID_STRIDE + n) stay far from 2**63
_FAMILIES = tuple(dict.fromkeys(ITEM_FAMILIES.values()))
# Primes above any user's event count (validate_personas keeps it under EVENT_ID_STRIDE):
# multiplying by one, mod n, permutes 0..n-1 and so shuffles kinds into sessions without a
# sort.
_STRIDE_PRIMES = (10007, 10009, 10037, 10039, 10061, 10067, 10069, 10079)
_TEMP = "segscope_demo_"  # prefix of the temporary parameter tables, dropped afterwards

# One salt per random decision, so no two decisions share a draw. Append new ones at the
# end: renumbering would change every seed's data.
_SALTS = {
    name: index
    for index, name in enumerate(
        (
            "persona",
            "signup",
            "country",
            "device",
            "channel",
            "paid",
            "annual",
            "churn",
            "churn_time",
            "count",
            "ratio",
            "session_actions",
            "gap",
            "active_days",
            "day_shift",
            "stride",
            "shift",
            "tail",
            "tail_day",
            "tail_hour",
            "start_hour",
            "first_start",
            "action_jitter",
            "follow_up_delay",
            "anonymous",
            "anonymous_time",
            "focus",
            "subject",
            "item",
            "duration",
            "orphan",
            "orphan_id",
            "duplicate",
            "off_pattern",
            "off_day",
            "off_hour",
            "off_share",
        ),
        start=1,
    )
}


def _literal(value) -> str:
    """A SQL literal for a spec value (the spec is code, but quote it properly anyway)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"cast({value!r} as double)"
    return "'" + str(value).replace("'", "''") + "'"


def _list(values: Iterable) -> str:
    return "[" + ", ".join(_literal(v) for v in values) + "]"


def _values(name: str, rows: list[dict]) -> str:
    """``create temp table`` from literal rows (dicts with the same keys, in order)."""
    columns = ", ".join(rows[0])
    body = ",\n    ".join(
        "(" + ", ".join(_literal(value) for value in row.values()) + ")" for row in rows
    )
    return (
        f"create or replace temp table {_TEMP}{name} as\n"
        f"select * from (values\n    {body}\n) as t({columns})"
    )


def _bands(weights: Mapping[str, float]) -> list[tuple[str, float, float]]:
    """(value, lo, hi) bands of [0, 1) for a categorical draw; the last band ends at 1."""
    items = [(value, weight) for value, weight in weights.items() if weight > 0]
    bands, lo = [], 0.0
    for position, (value, weight) in enumerate(items):
        hi = 1.0 if position == len(items) - 1 else lo + weight
        bands.append((value, lo, hi))
        lo = hi
    return bands


def _leaf_row(index: int, leaf: Leaf, share_lo: float, share_hi: float) -> dict:
    persona, habits, outcomes = leaf.persona, leaf.habits, leaf.persona.outcomes
    preferred = [SUBJECTS.index(subject) for subject in persona.subjects] + [None] * 3
    return {
        "leaf_index": index,
        "persona": persona.name,
        "sub_persona": leaf.sub_persona,
        "is_outlier": persona.is_outlier,
        "share_lo": float(share_lo),
        "share_hi": float(share_hi),
        "actions_per_session_lo": habits.actions_per_session[0],
        "actions_per_session_hi": habits.actions_per_session[1],
        "gap_minutes_lo": float(habits.minutes_between_events[0]),
        "gap_minutes_hi": float(habits.minutes_between_events[1]),
        "active_days_lo": habits.active_days[0],
        "active_days_hi": habits.active_days[1],
        "hour_lo": float(habits.hours[0]),
        "hour_hi": float(habits.hours[1]),
        "day_order": DAY_ORDERS.index(habits.days),
        "start_jitter": float(habits.start_jitter),
        "first_session_at_signup": habits.first_session_at_signup,
        "off_pattern_lo": float(habits.off_pattern_share[0]),
        "off_pattern_hi": float(habits.off_pattern_share[1]),
        "tail_share": float(persona.tail_share),
        "tail_days": float(persona.tail_days),
        "anonymous_share": float(persona.anonymous_share),
        "subject_focus": float(persona.subject_focus),
        "n_preferred": len(persona.subjects),
        "preferred_1": preferred[0],
        "preferred_2": preferred[1],
        "preferred_3": preferred[2],
        "paid_share": float(outcomes.paid_share),
        "annual_share": float(outcomes.annual_share),
        "churn_share": float(outcomes.churn_share),
        "churn_days": float(outcomes.churn_days),
    }


def _count_rows(index: int, leaf: Leaf) -> Iterator[dict]:
    for kind, spec in leaf.counts.items():
        follow_up = isinstance(spec, Ratio)
        base_kind = spec.of if follow_up else kind
        base = leaf.counts[base_kind]
        ratio = (float(spec.lo), float(spec.hi)) if follow_up else (1.0, 1.0)
        if base.hi == 0 or ratio[1] == 0:
            continue  # never happens: no row, no work
        family = ITEM_FAMILIES.get(kind)
        duration = leaf.persona.durations.get(kind)
        yield {
            "leaf_index": index,
            "event_name": kind,
            "kind_index": EVENT_KINDS.index(kind),
            "base_kind_index": EVENT_KINDS.index(base_kind),
            "is_follow_up": follow_up,
            "base_lo": base.lo,
            "base_hi": base.hi,
            "ratio_lo": ratio[0],
            "ratio_hi": ratio[1],
            "item_family": family,
            "family_index": None if family is None else _FAMILIES.index(family),
            "duration_lo": None if duration is None else float(duration[0]),
            "duration_hi": None if duration is None else float(duration[1]),
        }


def parameter_tables(personas: tuple[Persona, ...] = PERSONAS) -> list[str]:
    """Statements creating the generator's parameter tables from the persona spec.

    ``leaf_params``: one row per (persona, sub-persona) with its band of [0, 1) and habits;
    ``count_params``: one row per leaf and event kind that can happen;
    ``choice_params``: the bands of the categorical user columns per leaf.
    """
    leaf_rows, count_rows, choice_rows = [], [], []
    all_leaves = list(leaves(personas))
    share_lo = 0.0
    for index, leaf in enumerate(all_leaves):
        share_hi = 1.0 if index == len(all_leaves) - 1 else share_lo + leaf.share
        leaf_rows.append(_leaf_row(index, leaf, share_lo, share_hi))
        share_lo = share_hi
        count_rows.extend(_count_rows(index, leaf))
        for attribute, weights in (
            ("device", leaf.habits.device),
            ("channel", leaf.persona.channel),
            ("country", COUNTRY_WEIGHTS),
        ):
            for value, lo, hi in _bands(weights):
                choice_rows.append(
                    {
                        "leaf_index": index,
                        "attribute": attribute,
                        "value": value,
                        "cum_lo": float(lo),
                        "cum_hi": float(hi),
                    }
                )
    return [
        _values("leaf_params", leaf_rows),
        _values("count_params", count_rows),
        _values("choice_params", choice_rows),
    ]


def check_n_users(value) -> int:
    """``value`` if it is a valid number of users, else ValueError (message without a name)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, got {value!r}")
    if not 1 <= value <= MAX_USERS:
        raise ValueError(f"must be between 1 and {MAX_USERS:_}, got {value:_}")
    return value


def check_seed(value) -> int:
    """``value`` if it is a valid seed (0 <= seed < 2**63), else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"must be a whole number, got {value!r}")
    if not 0 <= value < 2**63:
        raise ValueError(f"must be between 0 and 2**63 - 1, got {value}")
    return value


def check_schema(value) -> str:
    """``value`` if it is a plain SQL identifier, else ValueError."""
    if not isinstance(value, str) or not _IDENTIFIER.match(value):
        raise ValueError(f"must be a plain SQL identifier (letters, digits, _), got {value!r}")
    return value


def parse_as_of(value) -> datetime:
    """The as-of moment from an ISO date or naive timestamp, else ValueError."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(
            f"must be an ISO date or timestamp like 2026-06-01, got {value!r}"
        ) from None
    if moment.tzinfo is not None:
        raise ValueError(f"must be a naive (UTC) timestamp, got {value!r}")
    # the day arithmetic assumes signups after 1970-01-01
    if moment < _EARLIEST_AS_OF:
        raise ValueError(f"must be {_EARLIEST_AS_OF:%Y-%m-%d} or later, got {value!r}")
    return moment


def _check_arguments(n_users, seed, schema, as_of) -> datetime:
    """The as-of moment, once every argument is valid; ValueError naming the bad one."""
    checks = {
        "n_users": (check_n_users, n_users),
        "seed": (check_seed, seed),
        "schema": (check_schema, schema),
        "as_of": (parse_as_of, as_of),
    }
    checked = {}
    for name, (check, value) in checks.items():
        try:
            checked[name] = check(value)
        except ValueError as error:
            raise ValueError(f"{name} {error}") from None
    return checked["as_of"]


def build_statements(
    n_users: int = 20_000,
    seed: int = 42,
    schema: str = "raw",
    as_of: str = "2026-06-01",
) -> tuple[list[str], list[tuple[str, str]]]:
    """The SQL of one run: setup statements, then (table, statement) steps in order.

    Handy to read or profile the SQL; :func:`generate` runs exactly these.
    """
    moment = _check_arguments(n_users, seed, schema, as_of)
    validate_personas(PERSONAS)
    day_us = 86_400_000_000
    params = {
        "schema": _quote(schema),
        "t": f"temp.{_TEMP}",
        "s": _SALTS,
        "n_users": n_users,
        "as_of_us": (moment - datetime(1970, 1, 1)) // timedelta(microseconds=1),
        "day_us": day_us,
        "hour_us": day_us // 24,
        "minute_us": day_us // 1440,
        "signup_period_us": SIGNUP_DAYS * day_us,
        "window_days": WINDOW_DAYS,
        "tail_last_day": TAIL_LAST_DAY,
        "event_id_stride": EVENT_ID_STRIDE,
        "stride_primes": _list(_STRIDE_PRIMES),
        "n_strides": len(_STRIDE_PRIMES),
        "item_prefixes": _list(
            f"{family}:{subject}:" for family in _FAMILIES for subject in SUBJECTS
        ),
        "item_numbers": _list(f"{number:04d}" for number in range(ITEMS_PER_SUBJECT)),
        "n_subjects": len(SUBJECTS),
        "items_per_subject": ITEMS_PER_SUBJECT,
        "orphan_share": ORPHAN_EVENT_SHARE,
        # orphans look like users who signed up after the export: ids just above the max
        "orphan_pool": max(10, n_users // 50),
        "duplicate_share": DUPLICATE_EVENT_SHARE,
    }
    setup = [
        f"create schema if not exists {_quote(schema)}",
        # the top 53 bits of the hash make a double in [0, 1). Rehashing matters: DuckDB's
        # multi-argument hash alone leaves draws that differ only in the last argument
        # correlated (r ~ 0.5)
        "create or replace temp macro segscope_draw(a, b, c) as "
        f"(hash(hash({seed}, a, b, c)) >> 11) / 9007199254740992.0",
        *parameter_tables(PERSONAS),
    ]
    steps = [
        ("persona_truth", sql.PERSONA_TRUTH),
        ("users", sql.USERS),
        ("events", sql.EVENTS),
        ("duplicate events", sql.DUPLICATES),
    ]
    return setup, [(name, statement.format(**params)) for name, statement in steps]


def generate(
    con: duckdb.DuckDBPyConnection,
    n_users: int = 20_000,
    seed: int = 42,
    schema: str = "raw",
    as_of: str = "2026-06-01",
    *,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Create (replace) ``{schema}.users``, ``.events`` and ``.persona_truth``.

    The three tables are replaced together or not at all. ``progress`` gets a line per
    step. Returns the row counts (``users``, ``events``, ``persona_truth``), ``seconds``
    in total and ``step_seconds`` per table.
    """
    setup, steps = build_statements(n_users, seed, schema, as_of)
    report = progress or (lambda line: None)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    con.execute("begin transaction")
    try:
        for statement in setup:
            con.execute(statement)
        for name, statement in steps:
            report(f"generating {name} ...")
            step_started = time.perf_counter()
            con.execute(statement)
            timings[name] = round(time.perf_counter() - step_started, 3)
        counts = {
            table: con.execute(f"select count(*) from {_quote(schema)}.{table}").fetchall()[0][0]
            for table in ("users", "events", "persona_truth")
        }
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        _drop_temporaries(con)
    seconds = round(time.perf_counter() - started, 3)
    report(
        f"done in {seconds:.1f}s: {counts['users']:,} users, {counts['events']:,} events, "
        f"{counts['persona_truth']:,} persona_truth rows in schema {schema}"
    )
    return {**counts, "seconds": seconds, "step_seconds": timings}


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _drop_temporaries(con: duckdb.DuckDBPyConnection) -> None:
    """Leave the caller's connection as it was: no helper tables or macro behind."""
    for table in ("leaf_params", "count_params", "choice_params"):
        con.execute(f"drop table if exists temp.{_TEMP}{table}")
    con.execute("drop macro if exists temp.segscope_draw")
