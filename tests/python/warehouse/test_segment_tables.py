"""The segmentation layer end to end: `dbt build` of the demo project through the Python models.

The segment tables recover the planted personas (adjusted Rand index against the demo's truth
table), agree across seeds, and a bad parameter or unusable input leaves them as they were."""

from __future__ import annotations

import json
import re

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from segscope.demo import planted_differences
from segscope.segmentation.pipeline import segment_users
from segscope.warehouse import catalog_for, in_key_order

# one 5k-user build shared with the report tests (tests/python/warehouse/conftest.py)
pytestmark = pytest.mark.xdist_group("segmented")

ASSIGNMENTS_WITH_TRUTH = """
select user_segments.*, truth.persona, truth.sub_persona, truth.is_outlier as planted_outlier
from user_segments
inner join raw.persona_truth as truth using (user_id)
"""


def frame(project, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(project.db), read_only=True) as con:
        return con.sql(sql).df()


@pytest.fixture(scope="module")
def assigned(segmented) -> pd.DataFrame:
    return frame(segmented, ASSIGNMENTS_WITH_TRUTH)


@pytest.fixture(scope="module")
def fit_inputs(segmented) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """What the fit model read, and the parameters it used."""
    # in key order, as the fit reads it: a view returns rows in any order
    features = in_key_order(frame(segmented, "select * from segmentation_input"), "user_id")
    catalog = frame(segmented, "select * from feature_catalog")
    params = frame(segmented, "select params from segmentation_fit")["params"][0]
    return features, catalog_for(features, catalog, "user_id"), json.loads(params)


def test_top_level_segments_recover_the_planted_personas(assigned):
    people = assigned[~assigned.planted_outlier]
    assert adjusted_rand_score(people.persona, people.top_segment_id) >= 0.95


def test_leaves_recover_the_planted_sub_personas(assigned):
    people = assigned[~assigned.planted_outlier]
    assert adjusted_rand_score(people.sub_persona, people.segment_id) >= 0.90


def test_zoom_in_finds_what_the_top_level_blurs(assigned):
    """Planners and crammers share one top-level segment; only zooming into it parts them."""
    grinders = assigned[assigned.persona == "exercise_grinders"]
    top = grinders.top_segment_id.mode()[0]
    within_top = grinders[grinders.top_segment_id == top]
    assert len(within_top) >= 0.95 * len(grinders)
    assert within_top.depth.min() >= 2, f"top segment {top} was not split"
    leaf_of = within_top.groupby("sub_persona").segment_id.agg(lambda s: s.mode()[0])
    assert leaf_of.nunique() == len(leaf_of) == 2, leaf_of.to_dict()


def test_every_sub_persona_gets_a_leaf_of_its_own(assigned):
    leaf_of = assigned[~assigned.planted_outlier].groupby("sub_persona").segment_id.agg(
        lambda s: s.mode()[0])
    assert leaf_of.nunique() == len(leaf_of), leaf_of.to_dict()


def test_planted_bots_are_flagged_or_isolated(assigned):
    """Bots are about 1% of users: each is flagged as an outlier or sits in a leaf of bots."""
    bots = assigned[assigned.planted_outlier]
    bot_share_of_leaf = assigned.groupby("segment_id").planted_outlier.mean()
    in_bot_leaf = bots.segment_id.map(bot_share_of_leaf) >= 0.9
    assert len(bots) > 0 and (bots.is_outlier | in_bot_leaf).mean() >= 0.8


def _top_features(project, segment_id: str, n: int) -> set[str]:
    rows = project.query(
        "select feature_name from segment_profiles "
        f"where segment_id = '{segment_id}' and rank_in_segment <= {n}"
    )
    return {name for (name,) in rows}


@pytest.mark.parametrize(
    ("persona", "level", "n"),
    [
        ("casual_visitors", "top_segment_id", 3),
        ("video_learners", "top_segment_id", 3),
        ("exercise_grinders", "top_segment_id", 3),
        ("material_collectors", "top_segment_id", 3),
        ("community_members", "top_segment_id", 3),
        ("evening_bingers", "segment_id", 5),
        ("commute_watchers", "segment_id", 5),
        ("planners", "segment_id", 5),
        ("crammers", "segment_id", 5),
    ],
)
def test_profiles_rank_the_planted_differences_first(segmented, assigned, persona, level, n):
    """What a segment's profile puts first is what the demo planted for that persona."""
    column = "persona" if level == "top_segment_id" else "sub_persona"
    segment = assigned[assigned[column] == persona][level].mode()[0]
    assert _top_features(segmented, segment, n) & set(planted_differences(persona))


def _segment_of(assigned: pd.DataFrame, column: str, persona: str) -> str:
    level = "top_segment_id" if column == "persona" else "segment_id"
    return assigned[assigned[column] == persona][level].mode()[0]


def _top_shap_features(project, segment_id: str, n: int) -> list[str]:
    rows = project.query(
        "select feature_name from segment_explanations "
        f"where segment_id = '{segment_id}' and rank_in_segment <= {n} order by rank_in_segment"
    )
    return [name for (name,) in rows]


@pytest.mark.parametrize(
    ("persona", "column"),
    [("casual_visitors", "persona"), ("exercise_grinders", "persona"),
     ("material_collectors", "persona"), ("community_members", "persona"),
     ("evening_bingers", "sub_persona"), ("commute_watchers", "sub_persona"),
     ("planners", "sub_persona"), ("crammers", "sub_persona")],
)
def test_top_shap_feature_of_each_persona_is_planted(segmented, assigned, persona, column):
    """The feature a segment's surrogate leans on most is one the generator planted for the
    persona it holds (video learners' sub-personas part at the top level already)."""
    segment = _segment_of(assigned, column, persona)
    planted = set(planted_differences(persona))
    if column == "sub_persona" and "." not in segment:  # parted from its siblings at the top
        parent = assigned[assigned.sub_persona == persona].persona.iloc[0]
        planted |= set(planted_differences(parent))
    # a generated value_<name> carries the planted events' durations
    planted |= {f"value_{name[2:]}" for name in planted if name.startswith("n_")}
    (top,) = _top_shap_features(segmented, segment, 1)
    assert top in planted, (segment, top, planted)


def test_shap_directions_match_what_was_planted(segmented, assigned):
    grinders = _segment_of(assigned, "persona", "exercise_grinders")
    casual = _segment_of(assigned, "persona", "casual_visitors")
    direction = dict(((s, f), d) for s, f, d in segmented.query(
        "select segment_id, feature_name, direction from segment_explanations"))
    assert direction[(grinders, "n_exercise_submitted")] == "higher"
    assert direction[(casual, "n_events")] == "lower"


def test_surrogates_reproduce_the_top_level_segments(segmented):
    (macro_f1,), = segmented.query(
        "select distinct split_macro_f1 from segment_fidelity where parent_segment_id is null")
    assert macro_f1 >= 0.9
    (held_out, right), = segmented.query(
        "select sum(n_users), sum(n_users) filter (where actual_segment_id = predicted_segment_id) "
        "from segment_confusion where parent_segment_id is null")
    assert right / held_out >= 0.9
    (f1_in_segments,), = segmented.query(
        "select min(surrogate_f1) from segments where parent_segment_id is null")
    assert f1_in_segments >= 0.8


def test_planted_segments_are_stable(segmented, assigned):
    """Every segment that is one planted persona or sub-persona (90% pure) survives bootstrap
    refits (clusterboot Jaccard >= 0.75), other seeds and each signup cohort refitted alone."""
    people = assigned[~assigned.planted_outlier]
    stability = frame(segmented, "select * from segments where not is_outlier_segment")
    checked = 0
    for row in stability.itertuples():
        inside = rf"(?:^| ){re.escape(row.segment_id)}(?: |$)"
        members = people[people.segment_path.str.contains(inside)]
        column = "persona" if row.depth == 1 else "sub_persona"
        if members.empty:  # the bots' segment: planted outliers only
            continue
        purity = members[column].value_counts(normalize=True).iloc[0]
        if purity >= 0.9:
            checked += 1
            assert row.bootstrap_jaccard >= 0.75 and row.stability_status == "stable", row
            assert row.seed_ari >= 0.9 and row.cohort_jaccard_min >= 0.75, row
    assert checked >= 6
    (n_cohorts,), = segmented.query("select count(distinct cohort) from segment_cohorts")
    assert n_cohorts == 4


def test_a_bad_explanation_option_fails_and_keeps_the_previous_segments(segmented_copy):
    before = segment_tables(segmented_copy)
    result = segmented_copy.build(vars={"segscope_explanation": {"n_trees": 10}})
    assert result.returncode != 0
    assert result.status("segmentation_explainer") == "error"
    assert "segscope_explanation" in result.output and "n_trees" in result.output
    assert result.status("segments") == "skipped"
    assert segment_tables(segmented_copy) == before


def test_key_observations_say_what_sets_segments_apart(segmented, assigned):
    grinders = assigned[assigned.persona == "exercise_grinders"].top_segment_id.mode()[0]
    (sentences,), = segmented.query(
        f"select key_observations from segments where segment_id = '{grinders}'")
    assert "n_exercise_submitted is on average" in sentences and "higher than overall" in sentences


def test_segments_are_named_and_people_can_rename_them(segmented_copy):
    names = dict(segmented_copy.query("select segment_id, name from segments"))
    # automatic names: the id, then what sets the segment apart from its parent
    assert all(name.startswith(f"{sid}: ") and len(name) > len(sid) + 6
               for sid, name in names.items()), names
    leaf = segmented_copy.query("select segment_id from segments where is_leaf limit 1")[0][0]
    labels = segmented_copy.root / "seeds" / "segment_labels.csv"
    labels.write_text(labels.read_text() + f"{leaf},Night owls,#000000,They study at night\n")
    result = segmented_copy.build("--select", "segment_labels+")
    assert result.returncode == 0, result.output
    (name, color, description), = segmented_copy.query(
        f"select name, color, description from segments where segment_id = '{leaf}'")
    assert (name, color, description) == ("Night owls", "#000000", "They study at night")
    assert segmented_copy.query(
        f"select distinct segment_name from user_segments where segment_id = '{leaf}'"
    ) == [("Night owls",)]


def test_every_segment_table_comes_from_the_one_fit(segmented):
    versions = frame(segmented, """
        select distinct model_version from user_segments
        union select distinct model_version from segments
        union select distinct model_version from segment_model_selection
        union select distinct model_version from segment_embedding
        union select distinct model_version from segment_profiles
        union select distinct model_version from segment_explanations
        union select distinct model_version from segment_fidelity
        union select distinct model_version from segment_confusion
        union select distinct model_version from segment_stability
        union select distinct model_version from segment_cohorts
    """)
    (fit_version,), = segmented.query("select model_version from segmentation_fit")
    assert versions.model_version.tolist() == [fit_version]



def test_every_table_the_build_made_is_published_whole_with_its_descriptions(segmented):
    described = """
        select table_name, coalesce(comment, '') as comment from duckdb_tables()
        where schema_name = '{schema}'
        union all select table_name || '.' || column_name, coalesce(comment, '')
        from duckdb_columns() where schema_name = '{schema}'
    """
    unpublished = dict(segmented.query(described.format(schema="main_unpublished")))
    published = dict(segmented.query(described.format(schema="main")))
    tables = [name for name in unpublished if "." not in name]
    assert {"user_features", "segments", "user_segments", "segmentation_fit"} <= set(tables)
    assert {name: published.get(name) for name in unpublished} == unpublished
    assert unpublished["segments"] and unpublished["segments.segment_id"]
    for table in tables:
        (different,), = segmented.query(
            f"select count(*) from (select * from main_unpublished.{table} except all "
            f"select * from main.{table})")
        (n_unpublished,), = segmented.query(f"select count(*) from main_unpublished.{table}")
        (n_published,), = segmented.query(f"select count(*) from main.{table}")
        assert (different, n_published) == (0, n_unpublished), table

def test_same_seed_gives_identical_assignments(assigned, fit_inputs):
    features, catalog, params = fit_inputs
    again = segment_users(features, catalog, params).assignments
    merged = assigned.merge(again, on="user_id", suffixes=("", "_again"))
    assert len(merged) == len(assigned)
    assert (merged.segment_id == merged.segment_id_again).all()


def test_another_seed_agrees(assigned, fit_inputs):
    features, catalog, params = fit_inputs
    other = segment_users(features, catalog, {**params, "random_state": 1}).assignments
    merged = assigned.merge(other, on="user_id", suffixes=("", "_other"))
    assert adjusted_rand_score(merged.segment_id, merged.segment_id_other) >= 0.9


def test_fit_on_a_sample_then_score_everyone(assigned, fit_inputs):
    features, catalog, params = fit_inputs
    sampled = segment_users(features, catalog, {**params, "fit_sample_size": 2_000}).assignments
    assert sampled.in_fit_sample.sum() == 2_000 and len(sampled) == len(features)
    merged = assigned.merge(sampled, on="user_id", suffixes=("", "_sampled"))
    people = merged[~merged.planted_outlier]
    assert adjusted_rand_score(people.persona, people.top_segment_id_sampled) >= 0.95


def segment_tables(project) -> dict[str, list]:
    return {table: project.query(f"select * from {table} order by all")
            for table in ("user_segments", "segments", "segment_model_selection",
                          "segment_explanations", "segment_stability")}


def test_a_bad_parameter_fails_and_keeps_the_previous_segments(segmented_copy):
    before = segment_tables(segmented_copy)
    result = segmented_copy.build(vars={"segscope_segmentation": {"reducer": "tsne"}})
    assert result.returncode != 0
    assert result.status("segmentation_fit") == "error"
    assert "reducer" in result.output and "'pca'" in result.output
    assert result.status("user_segments") == "skipped"
    assert segment_tables(segmented_copy) == before


@pytest.mark.parametrize(
    ("bad_table", "message"),
    [
        pytest.param("select user_id, 1.0 as a, 2.0 as b from user_features",
                     "constant", id="all-constant features"),
        pytest.param("select user_id, n_events * 1.0 as a, case when user_id % 7 = 0 "
                     "then 'infinity'::double else 1.0 end as b from user_features",
                     "inf", id="infinite values"),
        pytest.param("select user_id, n_events as a from user_features limit 3",
                     "too few", id="too few users"),
    ],
)
def test_unusable_input_fails_and_keeps_the_previous_segments(segmented_copy, bad_table, message):
    before = segment_tables(segmented_copy)
    segmented_copy.execute(f"create table main.bad_features as {bad_table}")
    result = segmented_copy.build(vars={"segscope_segmentation_features": "main.bad_features"})
    assert result.returncode != 0
    assert result.status("segmentation_fit") == "error"
    assert message in result.output.lower()
    assert segment_tables(segmented_copy) == before


def test_any_one_row_per_user_table_can_be_segmented(segmented_copy):
    """A feature table of the user's own, with columns no catalog describes."""
    segmented_copy.execute(
        "create table main.my_features as select user_id, n_video_finished as watched, "
        "n_exercise_submitted as practiced, n_forum_posted as posted from user_event_features"
    )
    result = segmented_copy.build(vars={"segscope_segmentation_features": "main.my_features"})
    assert result.returncode == 0, result.output
    (n_segmented,), = segmented_copy.query("select count(*) from user_segments")
    (n_rows,), = segmented_copy.query("select count(*) from main.my_features")
    assert n_segmented == n_rows


def test_summary_shows_the_warehouse_and_a_segment_query(segmented, capsys):
    from segscope.cli import main

    assert main(["summary", "--db", str(segmented.db)]) == 0
    shown = capsys.readouterr().out
    assert "main.user_segments" in shown and "leaf segments" in shown
    assert "pct_of_users" in shown
