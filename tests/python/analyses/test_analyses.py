"""The example analyses, the versioned history of assignments, the exposures and the docs.

One fixture project (the demo's 600 users) is built twice, with random_state 0 and then 1, so
user_segment_history holds two model versions; then user_segment_history is rebuilt with the
second version again. The analyses are compiled by dbt and run against the warehouse as they
are, and `dbt docs generate` shows every model and every mart column described."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DBT = Path(sys.executable).with_name("dbt")

ANALYSES = (
    "eligible_users_by_signup_week",
    "segment_sizes_by_signup_cohort",
    "segment_users_with_key_features",
    "segment_migration_between_versions",
)
# what the report and the example dashboard read (segment_explained_variance included)
REPORT_READS = {
    "segments", "segment_profiles", "segment_explanations", "segment_fidelity",
    "segment_stability", "segment_confusion", "segment_model_selection", "segment_embedding",
    "segment_items", "user_segments", "segment_explained_variance",
}


def dbt(project, *args: str, vars: dict | None = None) -> str:
    """Run a dbt command on the fixture project; fail with its output when it fails."""
    command = [str(DBT), *args, "--project-dir", str(project.root),
               "--profiles-dir", str(project.root)]
    if vars:
        command += ["--vars", json.dumps(vars)]
    env = {**os.environ, "SEGSCOPE_DB": str(project.db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    done = subprocess.run(command, cwd=project.root, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def frame(project, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(project.db), read_only=True) as con:
        return con.sql(sql).df()


def segmentation_vars(random_state: int) -> dict:
    """The whole segscope_segmentation dict of dbt_project.yml with another random_state: a
    dict given with --vars replaces the project's dict, it is not merged into it."""
    project_vars = yaml.safe_load((PROJECT_ROOT / "dbt_project.yml").read_text())["vars"]
    return {"segscope_segmentation": {**project_vars["segscope_segmentation"],
                                      "random_state": random_state}}


def history_by_version(project) -> dict[str, tuple]:
    """model_version -> (rows, distinct users, distinct recorded_at, min recorded_at)."""
    rows = project.query(
        "select model_version, count(*), count(distinct user_id), "
        "count(distinct recorded_at), min(recorded_at) "
        "from user_segment_history group by model_version"
    )
    return {version: rest for version, *rest in rows}


@dataclass
class Built:
    project: object              # the FixtureProject
    versions: list[str]          # user_segments.model_version after each build, oldest first
    n_users: int                 # segmented users (the same in both builds)
    history_before_rebuild: dict[str, tuple]
    history_after_rebuild: dict[str, tuple]
    rebuild_status: str


@pytest.fixture(scope="module")
def built(tmp_path_factory, demo_raw, project_class) -> Built:
    project = project_class(tmp_path_factory.mktemp("analyses") / "project")
    shutil.copy(demo_raw, project.db)
    shutil.copytree(PROJECT_ROOT / "analyses", project.root / "analyses")
    versions, n_users = [], set()
    for random_state in (0, 1):
        result = project.build(vars=segmentation_vars(random_state))
        assert result.returncode == 0, result.output
        assert result.status("user_segment_history_one_row_per_user_and_version") == "pass"
        (version, n), = project.query(
            "select any_value(model_version), count(*) from user_segments")
        versions.append(version)
        n_users.add(n)
    assert len(n_users) == 1, n_users
    before = history_by_version(project)
    rebuild = project.build("--select", "user_segment_history", vars=segmentation_vars(1))
    assert rebuild.returncode == 0, rebuild.output
    return Built(project, versions, n_users.pop(), before, history_by_version(project),
                 rebuild.status("user_segment_history"))


def run_compiled(built: Built, target: str, analysis: str) -> pd.DataFrame:
    """The analysis as dbt compiled it into <target>, run against the warehouse."""
    path = built.project.root / target / "compiled" / "segscope" / "analyses" / f"{analysis}.sql"
    return frame(built.project, path.read_text())


@pytest.fixture(scope="module")
def compiled(built) -> str:
    """`dbt compile` of the analyses with their default vars; the target directory."""
    dbt(built.project, "compile", "--select", "resource_type:analysis",
        "--target-path", "target_analyses")
    return "target_analyses"


@pytest.fixture(scope="module")
def smallest_top_segment(built) -> str:
    """A segment other than the default (the largest leaf). On the fixture's 600 users the tree
    stops at the top level, so it is a leaf too."""
    (segment_id,), = built.project.query(
        "select segment_id from segments where depth = 1 order by n_users, segment_id limit 1")
    return segment_id


@pytest.fixture(scope="module")
def compiled_with_vars(built, smallest_top_segment) -> str:
    """The same analyses compiled with the vars that choose a segment, three key features and
    two versions, the other way round."""
    old, new = built.versions
    dbt(built.project, "compile", "--select", "resource_type:analysis",
        "--target-path", "target_analyses_vars",
        vars={"segscope_analysis_segment_id": smallest_top_segment,
              "segscope_analysis_n_key_features": 3,
              "segscope_analysis_from_version": new,
              "segscope_analysis_to_version": old})
    return "target_analyses_vars"


@pytest.fixture(scope="module")
def docs(built) -> tuple[dict, dict]:
    """`dbt docs generate` (it must succeed): its manifest and catalog."""
    dbt(built.project, "docs", "generate", "--target-path", "target_docs")
    target = built.project.root / "target_docs"
    return (json.loads((target / "manifest.json").read_text()),
            json.loads((target / "catalog.json").read_text()))


# --- user_segment_history ---------------------------------------------------------------------


def test_two_random_states_are_two_model_versions(built):
    assert len(set(built.versions)) == 2, built.versions


def test_history_holds_every_user_once_per_version(built):
    """Both versions, each with every segmented user exactly once, all of a version's rows
    recorded by one build."""
    assert set(built.history_after_rebuild) == set(built.versions)
    for version, (rows, users, stamps, _) in built.history_after_rebuild.items():
        assert rows == users == built.n_users, version
        assert stamps == 1, version


def test_history_matches_user_segments_of_the_latest_version(built):
    mismatches = built.project.query(
        f"""
        select user_id, segment_id, top_segment_id, segment_path, segment_name
        from user_segment_history where model_version = '{built.versions[1]}'
        except
        select user_id, segment_id, top_segment_id, segment_path, segment_name
        from user_segments
        """
    )
    assert mismatches == []


def test_recorded_at_orders_the_versions(built):
    first, second = (built.history_after_rebuild[v][3] for v in built.versions)
    assert first < second


def test_rebuilding_a_version_adds_nothing(built):
    """user_segment_history built again on the same fit: no row added, none re-stamped."""
    assert built.rebuild_status == "success"
    assert built.history_after_rebuild == built.history_before_rebuild


def test_history_contract_is_enforced(built):
    types = dict(built.project.query(
        "select column_name, data_type from information_schema.columns "
        "where table_name = 'user_segment_history'"))
    assert types == {"user_id": "BIGINT", "model_version": "VARCHAR", "segment_id": "VARCHAR",
                     "top_segment_id": "VARCHAR", "segment_path": "VARCHAR",
                     "segment_name": "VARCHAR", "recorded_at": "TIMESTAMP"}


# --- the analyses, compiled by dbt and run as they are ----------------------------------------


@pytest.mark.parametrize("analysis", ANALYSES)
def test_every_analysis_compiles_and_runs(built, compiled, analysis):
    assert len(run_compiled(built, compiled, analysis)) > 0, f"{analysis} returned no rows"


def segment_sizes(built: Built, relation: str, where: str = "true") -> pd.Series:
    """Users per leaf segment in a relation with one row per user (and version)."""
    sizes = frame(built.project, f"select segment_id, count(*) as n from {relation} "
                                 f"where {where} group by segment_id")
    return sizes.set_index("segment_id").n.sort_index()


def test_migration_matrix_compares_the_two_latest_versions_by_default(built, compiled):
    matrix = run_compiled(built, compiled, "segment_migration_between_versions")
    assert set(zip(matrix.from_version, matrix.to_version, strict=True)) == {
        tuple(built.versions)}


def test_migration_matrix_accounts_for_every_user(built, compiled):
    """n_users add up to the users; each from-segment's row shares add up to 1; the users a
    from-segment sends out are its users in the older version."""
    matrix = run_compiled(built, compiled, "segment_migration_between_versions")
    assert matrix.n_users.sum() == built.n_users
    assert matrix.from_segment_id.notna().all() and matrix.to_segment_id.notna().all()
    by_from = matrix.groupby("from_segment_id")
    assert by_from.share_of_from_segment.sum().to_numpy() == pytest.approx(1)
    old = segment_sizes(built, "user_segment_history", f"model_version = '{built.versions[0]}'")
    assert by_from.n_users.sum().sort_index().to_dict() == old.to_dict()


def test_migration_matrix_versions_can_be_named_by_vars(built, compiled_with_vars):
    matrix = run_compiled(built, compiled_with_vars, "segment_migration_between_versions")
    assert set(zip(matrix.from_version, matrix.to_version, strict=True)) == {
        tuple(built.versions[::-1])}
    assert matrix.n_users.sum() == built.n_users
    new = segment_sizes(built, "user_segments")
    assert (matrix.groupby("from_segment_id").n_users.sum().sort_index().to_dict()
            == new.to_dict())


def test_cohort_counts_add_up_to_the_users(built, compiled):
    """At each level (top, leaf) every segmented user is counted once, and each segment's
    users over the months are its size; within a signup month and level the shares add up to
    1 and the counts to the cohort."""
    sizes = run_compiled(built, compiled, "segment_sizes_by_signup_cohort")
    assert sizes.signup_month.notna().all(), "every segmented user has a signup month"
    assert sizes.segment_name.notna().all()
    by_level = sizes.groupby("segment_level").n_users.sum()
    assert by_level.to_dict() == {"top": built.n_users, "leaf": built.n_users}
    leaves = sizes[sizes.segment_level == "leaf"].groupby("segment_id").n_users.sum()
    assert leaves.sort_index().to_dict() == segment_sizes(built, "user_segments").to_dict()
    cohorts = sizes.groupby(["signup_month", "segment_level"])
    assert cohorts.share_of_cohort.sum().to_numpy() == pytest.approx(1)
    assert (cohorts.n_users.sum() == cohorts.cohort_users.max()).all()
    assert (cohorts.cohort_users.nunique() == 1).all()


def test_key_features_list_the_largest_leaf_by_default(built, compiled):
    """The largest leaf's users, each with the leaf's five first features by SHAP rank and
    their own value of each (the value user_features or user_event_features holds)."""
    listed = run_compiled(built, compiled, "segment_users_with_key_features")
    (leaf, n_users, name), = built.project.query(
        "select segment_id, n_users, name from segments where is_leaf "
        "order by n_users desc, segment_id limit 1")
    assert set(zip(listed.segment_id, listed.segment_name, strict=True)) == {(leaf, name)}
    assert listed.user_id.nunique() == n_users
    assert listed.confidence.between(0, 1).all()
    expected = [f for (f,) in built.project.query(
        "select feature_name from segment_explanations "
        f"where segment_id = '{leaf}' and rank_in_segment <= 5 order by rank_in_segment")]
    assert len(expected) == 5
    for _, one_user in listed.groupby("user_id"):
        assert one_user.feature_name.tolist() == expected
        assert one_user.feature_rank.tolist() == [1, 2, 3, 4, 5]
    features = frame(built.project, "select * from user_features inner join "
                     "user_event_features using (user_id)").set_index("user_id")
    for row in listed.itertuples():
        own = features.at[row.user_id, row.feature_name]
        if isinstance(own, str):
            assert own == row.feature_level, row
        else:
            assert own == pytest.approx(row.feature_value, nan_ok=True), row


def test_key_features_list_the_segment_named_by_var(built, compiled_with_vars,
                                                    smallest_top_segment):
    """Its users (those of its children included: every leaf listed is it or under it), with
    as many key features as the var asks."""
    listed = run_compiled(built, compiled_with_vars, "segment_users_with_key_features")
    (n_users,), = built.project.query(
        f"select n_users from segments where segment_id = '{smallest_top_segment}'")
    assert set(listed.segment_id) == {smallest_top_segment}
    assert listed.user_id.nunique() == n_users
    assert all(leaf == smallest_top_segment or leaf.startswith(smallest_top_segment + ".")
               for leaf in listed.leaf_segment_id)
    assert listed.groupby("user_id").feature_rank.apply(list).map(tuple).unique().tolist() == [
        (1, 2, 3)]


# --- docs and exposures -----------------------------------------------------------------------


def test_every_model_is_described(docs):
    manifest, _ = docs
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"]
    assert "model.segscope.user_segment_history" in {n["unique_id"] for n in models}
    undescribed = [n["unique_id"] for n in models if not n["description"].strip()]
    assert undescribed == []


def test_every_column_of_every_mart_is_described(docs, built):
    """Every column the built mart tables have (the catalog) is described in the manifest, or,
    for the columns generated from event names, in feature_catalog."""
    manifest, catalog = docs
    generated = {f"user_event_features.{name}" for (name,) in built.project.query(
        "select feature_name from feature_catalog where event_name is not null "
        "and description != ''")}
    marts = [n for n in manifest["nodes"].values() if n["resource_type"] == "model"
             and Path(n["original_file_path"]).parts[:2] == ("models", "marts")]
    assert len(marts) >= 15
    undescribed = []
    for node in marts:
        built_columns = catalog["nodes"][node["unique_id"]]["columns"]
        described = {name.lower() for name, column in node["columns"].items()
                     if column["description"].strip()}
        undescribed += [f"{node['name']}.{c}" for c in built_columns if c.lower() not in described]
    assert [column for column in undescribed if column not in generated] == []
    assert generated, "the demo's event names give features"


def test_every_analysis_is_described(docs):
    manifest, _ = docs
    analyses = {n["name"]: n["description"] for n in manifest["nodes"].values()
                if n["resource_type"] == "analysis"}
    assert set(analyses) == set(ANALYSES)
    assert all(description.strip() for description in analyses.values())


def test_exposures_name_what_they_read(docs):
    manifest, _ = docs
    exposures = manifest["exposures"]
    report = exposures["exposure.segscope.segment_report"]
    dashboard = exposures["exposure.segscope.segment_overview_dashboard"]
    assert (report["type"], dashboard["type"]) == ("analysis", "dashboard")
    assert report["owner"] == {"name": "segscope", "email": "dev@segscope.invalid"}
    read = {node.split(".")[-1] for node in report["depends_on"]["nodes"]}
    assert REPORT_READS <= read
    dashboard_reads = {node.split(".")[-1] for node in dashboard["depends_on"]["nodes"]}
    assert {"segments", "user_segment_history", "segment_explanations"} <= dashboard_reads
    for analysis in ANALYSES[1:]:
        assert f"analysis.segscope.{analysis}" in dashboard["description"]
