"""The persona spec: consistent, and the single source of the generator's parameters."""

from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from segscope.demo import PERSONAS, planted_differences
from segscope.demo.generator import parameter_tables
from segscope.demo.personas import (
    EVENT_KINDS,
    Count,
    Ratio,
    leaves,
    max_events_per_user,
    validate_personas,
)

MARTS_YML = Path(__file__).parents[3] / "models" / "marts" / "_marts__models.yml"


def test_the_spec_is_valid():
    validate_personas(PERSONAS)


def test_shares_add_up():
    assert math.isclose(sum(p.share for p in PERSONAS), 1.0)
    assert math.isclose(sum(leaf.share for leaf in leaves()), 1.0)
    for persona in PERSONAS:
        if persona.sub_personas:
            assert math.isclose(sum(s.share for s in persona.sub_personas), 1.0)


def test_the_brief_personas():
    shares = {p.name: p.share for p in PERSONAS}
    assert shares == pytest.approx(
        {
            "casual_visitors": 0.55,
            "video_learners": 0.13,
            "exercise_grinders": 0.12,
            "material_collectors": 0.11,
            "community_members": 0.08,
            "bots": 0.01,
        }
    )
    subs = {p.name: [s.name for s in p.sub_personas] for p in PERSONAS if p.sub_personas}
    assert subs == {
        "video_learners": ["evening_bingers", "commute_watchers"],
        "exercise_grinders": ["planners", "crammers"],
    }
    assert [p.name for p in PERSONAS if p.is_outlier] == ["bots"]


def test_sub_personas_change_habits_not_counts():
    # the only count a sub-persona may change is one it plants as a difference
    for persona in PERSONAS:
        for sub in persona.sub_personas:
            assert set(sub.count_overrides) <= {
                f.removeprefix("n_") for f in sub.planted_differences
            }


def test_a_leaf_without_sub_personas_is_its_own_sub_persona():
    names = {(leaf.persona.name, leaf.sub_persona) for leaf in leaves()}
    assert ("casual_visitors", "casual_visitors") in names
    assert ("bots", "bots") in names


def test_planted_differences_lookup():
    assert "n_video_started" in planted_differences("video_learners")
    assert "share_weekend" in planted_differences("evening_bingers")
    with pytest.raises(KeyError, match="no persona or sub-persona named 'nobody'"):
        planted_differences("nobody")


@pytest.mark.skipif(not MARTS_YML.exists(), reason="the dbt project declares no user_features")
def test_planted_differences_are_feature_columns():
    """Declared in user_features, or generated per event name (n_<name>, share_<name>)."""
    models = yaml.safe_load(MARTS_YML.read_text())["models"]
    columns = {
        column["name"]
        for model in models
        if model["name"] == "user_features"
        for column in model.get("columns", [])
    } | {f"{prefix}_{kind}" for kind in EVENT_KINDS for prefix in ("n", "share")}
    planted = {f for p in PERSONAS for f in p.planted_differences} | {
        f for p in PERSONAS for s in p.sub_personas for f in s.planted_differences
    }
    assert planted <= columns, sorted(planted - columns)


def test_event_ids_have_room():
    assert max(max_events_per_user(leaf) for leaf in leaves()) < 10_000


def _broken(**changes) -> tuple:
    """PERSONAS with the video learners changed."""
    return tuple(
        dataclasses.replace(p, **changes) if p.name == "video_learners" else p for p in PERSONAS
    )


@pytest.mark.parametrize(
    ("personas", "message"),
    [
        (_broken(share=0.5), "persona shares must sum to 1"),
        (_broken(counts={"video_watched": Count(1, 2)}), "unknown event kind 'video_watched'"),
        (
            _broken(counts={"video_finished": Ratio("video_started", 0.5, 0.9)}),
            "video_finished is a ratio of video_started, not a Count",
        ),
        (_broken(counts={"page_viewed": Count(5, 1)}), "count for page_viewed must be"),
        (_broken(channel={"tv": 1.0}), "unknown values ['tv']"),
        (_broken(subjects=("math", "physics", "history", "biology")), "at most 3 subjects"),
        (
            _broken(durations={"video_finished": (60, 3600), "exercise_submitted": (60, 300)}),
            "durations are for",
        ),
        (_broken(durations={"video_finished": (60, 600)}), "needs durations for"),
    ],
)
def test_inconsistent_specs_are_rejected(personas, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        validate_personas(personas)


def test_parameter_tables_come_from_the_spec():
    con = duckdb.connect()
    for statement in parameter_tables():
        con.execute(statement)
    leaf_rows = con.execute(
        "select persona, sub_persona, share_hi - share_lo from segscope_demo_leaf_params"
    ).fetchall()
    expected = {(leaf.persona.name, leaf.sub_persona): leaf.share for leaf in leaves()}
    assert {(p, s): share for p, s, share in leaf_rows} == pytest.approx(expected)
    count_rows = con.execute(
        "select sub_persona, event_name, base_lo, base_hi "
        "from segscope_demo_count_params inner join segscope_demo_leaf_params using (leaf_index)"
        " where not is_follow_up"
    ).fetchall()
    for sub_persona, event_name, lo, hi in count_rows:
        leaf = next(leaf for leaf in leaves() if leaf.sub_persona == sub_persona)
        assert leaf.counts[event_name] == Count(lo, hi)
    kinds = {row[1] for row in count_rows}
    assert kinds <= set(EVENT_KINDS)
