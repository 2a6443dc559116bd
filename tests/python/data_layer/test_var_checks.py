"""No SQL from vars: every var that reaches SQL is checked while dbt parses the project. A name
must be a plain SQL name, a literal must parse as its type; anything else stops dbt before any
statement runs, naming the var, showing the value and the rule."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DBT = Path(sys.executable).with_name("dbt")

VALID = {
    "segscope_source_schema": "raw",
    "segscope_events_table": "events",
    "segscope_users_table": "users",
    "segscope_items_table": "items",
    "segscope_segmentation_features": "crm.member_features",
    "segscope_window_start": "2026-01-01",
    "segscope_window_cutoff": "2026-03-01 12:30:00",
    "segscope_as_of": "2026-06-01 00:00:00.5",
    "segscope_user_key_type": "bigint",
    "segscope_window_mode": "fixed",
    "segscope_mode": "apply",
    "segscope_analysis_from_version": "v_2026.06_01",
    "segscope_analysis_segment_id": "1.2",
}
NUMBERS = {
    "segscope_window_days": 7,
    "segscope_session_gap_minutes": 30,
    "segscope_orphan_share_error": 0.02,
    "segscope_items_top_n": 20,
    "segscope_items_min_lift": 1.5,
    "segscope_min_surrogate_f1": 0.8,
    "segscope_drift_min_week_users": 100,
}
# mappings: the hostile text goes in as a column (a value) and as an attribute (a key)
MAPPINGS = {
    "segscope_events_columns": lambda text: {"user_id": "user_id", "occurred_at": text},
    "segscope_users_columns": lambda text: {"user_id": text},
    "segscope_items_columns": lambda text: {"item_id": "item_id", "item_label": text},
    "segscope_user_attributes": lambda text: {"country": text},
    "segscope_user_attributes.key": lambda text: {text: "country"},
}
PAYLOADS = ['"', "'", ";", "--", "/*"]
TEXT_VARS = sorted(VALID)
ALL_VARS = TEXT_VARS + sorted(NUMBERS) + sorted(MAPPINGS)


def var_name(case: str) -> str:
    return case.split(".")[0]


def injection(valid: str, payload: str) -> str:
    return f"{valid}{payload} or 1=1; drop table raw.users; --"


# hostile for one kind of var only ("null" is a fine table name, "1.2" a fine segment id)
KIND_EXTRAS = {
    "name": lambda valid: ["1" + valid, valid + "." + valid + "." + valid, "a" * 129],
    "timestamp": lambda valid: ["null", "2026-13-01", "2026-02-30", "2026-01-01T24:00",
                                "2026-1-1", "01/02/2026", "2026-01-01 00:00:00+02", "0000-01-01"],
    "choice": lambda valid: ["null", "NULL", "true", valid.upper(), "a" * 129],
    "token": lambda valid: ["a" * 129, valid + "/" + valid],
}


def kind_of(name: str) -> str:
    if "window_start" in name or "window_cutoff" in name or name == "segscope_as_of":
        return "timestamp"
    if name in ("segscope_user_key_type", "segscope_window_mode", "segscope_mode"):
        return "choice"
    if "analysis" in name:
        return "token"
    return "name"


def hostile_texts(valid: str, rng: random.Random, n: int = 50, kind: str = "name") -> list[str]:
    """n distinct texts that are not a plain name, a date or a known choice: the valid value
    broken by quotes, comments, semicolons, unicode look-alikes, controls and great length."""
    breakers = ['"', "'", ";", "--", "/*", "*/", "`", "\\", "\n", "\t", " ", "\x00", "$$",
                "\u00e9", "\u0435", "\uff45", "\u200b", "\u202e", "\U0001f600", "%", "(", ")",
                "=", ","]
    fixed = [
        "", " ", valid + "\n", "\n" + valid, valid + " ", f'{valid}"; drop table raw.users; --',
        f"{valid}' or '1'='1", f"{valid}/* */", valid + "\u0301", "\u0435vents", valid * 100,
        "x" * 3000 + '"', f"{valid}');drop schema raw cascade;--", *KIND_EXTRAS[kind](valid),
    ]
    values = list(dict.fromkeys(fixed))
    while len(values) < n:
        pieces = [valid] + rng.choices(breakers, k=rng.randint(1, 4))
        rng.shuffle(pieces)
        text = "".join(pieces) * rng.choice([1, 1, 1, 3, 60])
        if text not in values and text != valid:
            values.append(text)
    return values[:n]


def hostile_numbers(rng: random.Random, n: int = 50) -> list:
    fixed = [float("nan"), float("inf"), float("-inf"), 1e300, -1e300, -1, 10**30, True,
             False, None, "7", "0.5; drop table raw.users", "7' or '1'='1", '7"', [], {}, [7]]
    return fixed + [text for text in hostile_texts("7", rng, n + len(fixed))
                    if text not in fixed][:n - len(fixed)]


def fuzz_cases() -> list[tuple[str, object]]:
    rng = random.Random(16)
    cases = []
    for name, valid in VALID.items():
        cases += [(name, text) for text in hostile_texts(valid, rng, kind=kind_of(name))]
    for name in NUMBERS:
        cases += [(name, value) for value in hostile_numbers(rng)]
    for name, wrap in MAPPINGS.items():
        cases += [(name, wrap(text)) for text in hostile_texts("country", rng)]
    return cases


def injection_cases() -> list[tuple[str, object]]:
    cases = []
    for name in ALL_VARS:
        for payload in PAYLOADS:
            if name in MAPPINGS:
                cases.append((name, MAPPINGS[name](injection("country", payload))))
            else:
                valid = VALID.get(name, str(NUMBERS.get(name)))
                cases.append((name, injection(valid, payload)))
    return cases


def accepted_cases() -> list[tuple[str, object]]:
    cases = [*VALID.items(), *NUMBERS.items(),
             *((name, wrap("country")) for name, wrap in MAPPINGS.items())]
    return cases + [("segscope_users_table", None), ("segscope_as_of", None),
                    ("segscope_window_start", "2024-02-29"), ("segscope_items_min_lift", 1)]


def verdicts(cases: list[tuple[str, object]], db: Path, chunk_bytes: int = 100_000) -> list:
    """What the project's own check says of each (var, value), in as few `dbt run-operation`s
    as the command line allows; no SQL runs."""
    chunks, chunk, size = [], [], 0
    for name, value in cases:
        text = yaml.safe_dump([var_name(name), value])
        if chunk and size + len(text) > chunk_bytes:
            chunks.append(chunk)
            chunk, size = [], 0
        chunk.append([var_name(name), value])
        size += len(text)
    chunks.append(chunk)
    out = []
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "0",
           "SEGSCOPE_DB": str(db)}
    for chunk in chunks:
        done = subprocess.run(
            [str(DBT), "run-operation", "segscope_check_var_values", "--project-dir",
             str(PROJECT_ROOT), "--profiles-dir", str(PROJECT_ROOT), "--target-path",
             "target/var_checks", "--args", yaml.safe_dump({"cases": chunk})],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
        lines = [line for line in done.stdout.splitlines() if "segscope_var_verdicts " in line]
        assert done.returncode == 0 and lines, done.stdout + done.stderr
        out += json.loads(lines[0].split("segscope_var_verdicts ", 1)[1])
    assert len(out) == len(cases)
    return out


@pytest.fixture(scope="module")
def judged(tmp_path_factory):
    groups = {"fuzz": fuzz_cases(), "injection": injection_cases(), "accepted": accepted_cases()}
    flat = [case for cases in groups.values() for case in cases]
    said = iter(verdicts(flat, tmp_path_factory.mktemp("var_checks") / "unused.duckdb"))
    return {group: [(name, value, next(said)) for name, value in cases]
            for group, cases in groups.items()}


def assert_rejected(name: str, value, message) -> None:
    assert message is not None, f"{name}={value!r} was accepted"
    assert message.startswith(f"var {var_name(name)}: got "), message
    assert any(rule in message for rule in ("must be", "is required", "unknown role")), message
    # the value is shown as JSON (quotes escaped) and cut, so a message stays readable; a
    # mapping's keys come sorted, as the YAML they were passed in
    shown = json.dumps(value, sort_keys=True)
    assert shown[:40] in message or "characters)" in message, (shown[:40], message)
    assert len(message) < 600, message


def test_valid_values_are_accepted(judged):
    for name, value, message in judged["accepted"]:
        assert message is None, (name, value, message)


@pytest.mark.parametrize("name", ALL_VARS)
def test_injection_payloads_are_rejected(judged, name):
    cases = [(n, v, m) for n, v, m in judged["injection"] if n == name]
    assert len(cases) == len(PAYLOADS)
    for case in cases:
        assert_rejected(*case)


@pytest.mark.parametrize("name", ALL_VARS)
def test_fifty_hostile_values_are_rejected(judged, name):
    cases = [(n, v, m) for n, v, m in judged["fuzz"] if n == name]
    assert len(cases) == 50
    assert len({json.dumps(v) for _, v, _ in cases}) == 50
    for case in cases:
        assert_rejected(*case)


def warehouse_state(project) -> list:
    """Every relation with its columns and row count: what a statement other than the
    project's would change."""
    relations = project.query(
        "select table_schema, table_name, string_agg(column_name || ' ' || data_type, ', ' "
        "order by ordinal_position) from information_schema.columns "
        "group by all order by all")
    return [(*relation, project.query(
        f'select count(*) from "{relation[0]}"."{relation[1]}"')[0][0])
        for relation in relations]


BUILD_CASES = [
    pytest.param({"segscope_events_table": 'events" ; drop table raw.users; --'},
                 "segscope_events_table", id="quote in the events table"),
    pytest.param({"segscope_source_schema": 'raw"."users"; drop table raw.users; --'},
                 "segscope_source_schema", id="quote in the source schema"),
    pytest.param({"segscope_items_table": None,
                  "segscope_events_table": "events\"; drop table raw.users; select * from \"raw"},
                 "segscope_events_table", id="items from events, quote in the events table"),
    pytest.param({"segscope_as_of": "2026-06-01' as timestamp) or true or cast('2026-06-01"},
                 "segscope_as_of", id="quote in as_of"),
    pytest.param({"segscope_window_mode": "fixed", "segscope_window_start": "2026-01-01",
                  "segscope_window_cutoff": "2026-03-01'::timestamp; drop table raw.users; --"},
                 "segscope_window_cutoff", id="quote in the window cutoff"),
    pytest.param({"segscope_user_attributes": {"country": 'country" from raw.users; --',
                                               "x from raw.users; --": "device"}},
                 "segscope_user_attributes", id="attribute mapping"),
]


@pytest.mark.parametrize(("bad_vars", "name"), BUILD_CASES)
def test_a_rejected_build_runs_nothing(project, bad_vars, name):
    before = warehouse_state(project)
    result = project.build(vars=bad_vars)
    assert result.returncode != 0
    assert f"var {name}: got " in result.output, result.output
    assert "nothing ran" in result.output
    assert result.statuses == {}, "no node may run"
    assert warehouse_state(project) == before
