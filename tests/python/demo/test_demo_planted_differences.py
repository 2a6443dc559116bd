"""The differences the persona spec plants are really in the data, and nothing more.

Features are recomputed in plain SQL (see conftest.FEATURES_SQL) on the first week after
signup, so these tests hold whatever the dbt project does with the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segscope.demo import PERSONAS

# counts are compared on the log scale the feature catalog uses for them
LOG_SCALED = ("n_", "total_", "events_per_", "active_days")


def _values(frame: pd.DataFrame, feature: str) -> pd.Series:
    values = frame[feature].astype(float)
    return np.log1p(values) if feature.startswith(LOG_SCALED) else values


def _effect_size(a: pd.Series, b: pd.Series) -> float:
    """Cohen's d: the difference of means in pooled standard deviations."""
    pooled = np.sqrt((a.var() + b.var()) / 2)
    return abs(a.mean() - b.mean()) / pooled if pooled > 0 else float("inf")


def _device_gap(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest difference in the share of any device (total variation distance)."""
    shares_a = a["device"].value_counts(normalize=True)
    shares_b = b["device"].value_counts(normalize=True)
    return float(shares_a.sub(shares_b, fill_value=0).abs().max())


TOP_LEVEL = [(p.name, f) for p in PERSONAS for f in p.planted_differences]
SUB_LEVEL = [
    (p.name, s.name, f) for p in PERSONAS for s in p.sub_personas for f in s.planted_differences
]


@pytest.mark.parametrize(("persona", "feature"), TOP_LEVEL)
def test_persona_differs_from_everyone_else_where_planted(features, persona, feature):
    # bots are dropped from "everyone else" first, as the method drops outliers first
    inside = features[features.persona == persona]
    others = features[(features.persona != persona) & (features.persona != "bots")]
    assert _effect_size(_values(inside, feature), _values(others, feature)) > 0.8


@pytest.mark.parametrize(("persona", "sub_persona", "feature"), SUB_LEVEL)
def test_sub_persona_differs_from_its_siblings_where_planted(
    features, persona, sub_persona, feature
):
    family = features[features.persona == persona]
    inside = family[family.sub_persona == sub_persona]
    siblings = family[family.sub_persona != sub_persona]
    if feature == "device":
        assert _device_gap(inside, siblings) > 0.4
    else:
        assert _effect_size(_values(inside, feature), _values(siblings, feature)) > 0.8


@pytest.mark.parametrize(
    ("persona", "feature"),
    [
        ("video_learners", "n_video_started"),
        ("video_learners", "n_video_finished"),
        ("video_learners", "total_value"),
        ("exercise_grinders", "n_exercise_started"),
        ("exercise_grinders", "n_exercise_submitted"),
        ("exercise_grinders", "n_quiz_completed"),
    ],
)
def test_sub_personas_share_their_parents_counts(features, persona, feature):
    # what a sub-persona does comes from its parent: only when and how differs
    family = features[features.persona == persona]
    groups = [_values(group, feature) for _, group in family.groupby("sub_persona")]
    assert len(groups) == 2
    assert _effect_size(*groups) < 0.3


def test_top_level_differences_are_stronger_than_sub_level(features):
    # a clustering should see the personas first and need to zoom in for sub-personas
    video = features[features.persona == "video_learners"]
    others = features[~features.persona.isin(["video_learners", "bots"])]
    top = _effect_size(_values(video, "n_video_started"), _values(others, "n_video_started"))
    subs = [_values(g, "n_video_started") for _, g in video.groupby("sub_persona")]
    assert top > 5 * _effect_size(*subs)


def test_country_is_not_planted(features, con):
    # country is the same mix for every persona: a feature the model must not "find"
    shares = con.execute(
        """
        select truth.persona, avg(case when users.country = 'BR' then 1.0 else 0.0 end)
        from raw.users as users inner join raw.persona_truth as truth using (user_id)
        where truth.persona <> 'bots'
        group by 1
        """
    ).fetchall()
    assert max(s for _, s in shares) - min(s for _, s in shares) < 0.1


def test_casual_visitors_do_almost_nothing(features):
    casual = features[features.persona == "casual_visitors"]
    assert casual.n_events.max() <= 4
    assert (casual.n_events == 0).mean() > 0.05
    assert casual.active_days.max() <= 2


def test_distinctive_subjects_per_persona(con):
    # class-based TF-IDF needs each content persona to prefer its own subjects
    top = dict(
        con.execute(
            """
            with counts as (
                select truth.persona, split_part(events.item_id, ':', 2) as subject, count(*) as n
                from raw.events as events
                inner join raw.persona_truth as truth using (user_id)
                where events.item_id is not null
                group by all
            )
            select persona, arg_max(subject, n) from counts group by persona
            """
        ).fetchall()
    )
    for persona in PERSONAS:
        if persona.subjects:
            assert top[persona.name] in persona.subjects, persona.name
