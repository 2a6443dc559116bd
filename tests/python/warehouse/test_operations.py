"""Operating segscope day to day: new users are scored with the persisted fit without refitting
(var segscope_mode: apply), re-scoring the fitted users gives their own leaves back, a refit
keeps the segment ids (and the names people gave them), and every fit is recorded."""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pytest

from segscope.warehouse import in_key_order, load_result

pytestmark = pytest.mark.xdist_group("segmented")

# the demo's signups run from February to late May: fit on those whose window ended by April
EARLY = {"segscope_as_of": "2026-04-01"}
APPLY = {"segscope_mode": "apply"}


def frame(project, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(project.db), read_only=True) as con:
        return con.sql(sql).df()


def fit_row(project) -> pd.DataFrame:
    return frame(project, "select * from segmentation_fit")


def test_rescoring_the_fitted_users_gives_their_leaves_back(segmented):
    """The persisted tree routes every fitted user again, with no refit; >= 97% land in the
    leaf the fit gave them."""
    version, result = load_result(fit_row(segmented))
    features = in_key_order(frame(segmented, "select * from segmentation_input"), "user_id")
    scored = result.tree.predict(features).merge(
        result.assignments[["user_id", "segment_id"]], on="user_id", suffixes=("", "_fitted"))
    assert len(scored) == len(features)
    agreement = float(np.mean(scored.segment_id == scored.segment_id_fitted))
    assert agreement >= 0.97, agreement


@pytest.fixture(scope="module")
def applied(tmp_path_factory, project_class, demo_raw):
    """The 600-user project fitted on the users eligible by April, then built in apply mode
    with everyone eligible: (project, fit row before, fit row after)."""
    project = project_class(tmp_path_factory.mktemp("applied") / "project")
    shutil.copy(demo_raw, project.db)
    fitted = project.build(vars=EARLY)
    assert fitted.returncode == 0, fitted.output
    before = fit_row(project)
    applied = project.build(vars=APPLY)
    assert applied.returncode == 0, applied.output
    return project, before, fit_row(project)


def test_apply_mode_scores_new_users_and_refits_nothing(applied):
    project, before, after = applied
    # the persisted fit, explainer and checks are the ones of the early build, byte for byte
    assert after.model_version.tolist() == before.model_version.tolist()
    assert after.result.tolist() == before.result.tolist()
    assert after.fitted_at.tolist() == before.fitted_at.tolist()
    n_eligible = project.query("select count(*) from segmentation_input")[0][0]
    n_fitted = project.query("select count(*) from segmentation_assignments")[0][0]
    assert 0 < n_fitted < n_eligible

    scores = frame(project, "select * from segment_scores")
    assert len(scores) == n_eligible - n_fitted == scores.user_id.nunique()
    assert set(scores.model_version) == set(before.model_version)
    assert scores.scored_at.notna().all()
    leaves = set(frame(project, "select segment_id from segments where is_leaf").segment_id)
    assert set(scores.segment_id) <= leaves

    users = frame(project, "select assigned_by, count(*) as n from user_segments group by 1")
    assert dict(zip(users.assigned_by, users.n, strict=True)) == {
        "fit": n_fitted, "apply": n_eligible - n_fitted}


def test_scoring_again_adds_nothing_and_keeps_when_users_were_scored(applied, tmp_path,
                                                                     project_class):
    project, _, _ = applied
    copy = project_class(tmp_path / "project")
    shutil.copy(project.db, copy.db)
    before = frame(copy, "select * from segment_scores order by user_id")
    result = copy.build(vars=APPLY)
    assert result.returncode == 0, result.output
    assert frame(copy, "select * from segment_scores order by user_id").equals(before)


def test_feature_drift_compares_scored_with_fitted_users(applied):
    """The PSI of the mart is the PSI of the fitted users' deciles, recomputed here."""
    project, _, _ = applied
    drift = frame(project, "select * from segment_feature_drift").set_index("feature_name")
    values = frame(project, """
        select f.n_events, s.assigned_by from user_features as f
        inner join user_segments as s using (user_id)""")
    fitted = values[values.assigned_by == "fit"].n_events.astype(float)
    scored = values[values.assigned_by == "apply"].n_events.astype(float)
    cuts = np.unique(np.quantile(fitted, np.arange(1, 10) / 10))
    p_fit = np.maximum(np.bincount(np.searchsorted(cuts, fitted, side="left"),
                                   minlength=len(cuts) + 1) / len(fitted), 1e-4)
    p_new = np.maximum(np.bincount(np.searchsorted(cuts, scored, side="left"),
                                   minlength=len(cuts) + 1) / len(scored), 1e-4)
    expected = float(np.sum((p_new - p_fit) * np.log(p_new / p_fit)))
    row = drift.loc["n_events"]
    assert row.n_users_scored == len(scored) and row.n_users_fitted == len(fitted)
    assert row.psi == pytest.approx(expected, abs=1e-9)
    assert (drift.psi >= 0).all()


def test_apply_mode_needs_a_fit(project):
    result = project.build(vars=APPLY)
    assert result.returncode != 0
    assert "segscope_mode is apply, but no segmentation has been fitted yet" in result.output


def test_a_refit_keeps_segment_ids_names_and_records_both_runs(segmented_copy):
    """Refitted on fewer users with another seed, each planted persona keeps its top-level
    segment's id, and the name given to a segment follows it; the lineage and the migration
    matrix account for every user both fits segmented."""
    by_persona = """
        select persona, mode(top_segment_id) as top_segment_id
        from user_segments inner join raw.persona_truth using (user_id)
        where not persona_truth.is_outlier group by persona"""
    before = dict(segmented_copy.query(by_persona))
    grinders = before["exercise_grinders"]
    labels = segmented_copy.root / "seeds" / "segment_labels.csv"
    labels.write_text(labels.read_text() + f"{grinders},Grinders,#4e79a7,They practise\n")

    params = json.loads(segmented_copy.query("select params from segmentation_fit")[0][0])
    result = segmented_copy.build(vars={**EARLY, "segscope_segmentation": {
        **{k: params[k] for k in ("reducer", "algorithm", "max_depth")},
        "random_state": params["random_state"] + 1}})
    assert result.returncode == 0, result.output

    assert dict(segmented_copy.query(by_persona)) == before
    assert segmented_copy.query(
        f"select name from segments where segment_id = '{grinders}'") == [("Grinders",)]
    runs = frame(segmented_copy, "select * from segment_model_runs order by fitted_at")
    assert len(runs) == 2 and runs.previous_model_version.iloc[1] == runs.model_version.iloc[0]
    lineage = frame(segmented_copy, "select * from segment_lineage where depth = 1")
    assert set(lineage.loc[lineage.segment_id.isin(before.values()), "status"]) <= {
        "kept", "split", "merged"}
    migrations = frame(segmented_copy, "select * from segment_migrations")
    (n_fitted,), = segmented_copy.query("select count(*) from segmentation_assignments")
    assert migrations.n_users.sum() == n_fitted  # all of them were in the previous fit too
