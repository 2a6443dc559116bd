"""The whole project on local Spark (local[2]) against DuckDB on the same demo data: every model,
test and unit test passes on Spark, and the segments are the same (adjusted Rand index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml
from sklearn.metrics import adjusted_rand_score

from segscope.demo import generate

pytestmark = pytest.mark.spark

SPARK_USERS = 2_000
# below the eligible users, so the fit samples and the workers score the rest
FIT_SAMPLE_SIZE = 1_500
SEGSCOPE = Path(sys.executable).with_name("segscope")


def _vars(root: Path) -> dict:
    project_vars = yaml.safe_load((root / "dbt_project.yml").read_text())["vars"]
    return {"segscope_segmentation": {**project_vars["segscope_segmentation"],
                                      "fit_sample_size": FIT_SAMPLE_SIZE}}


def _spark_table(spark_dir: Path, schema: str, table: str) -> pd.DataFrame:
    """A managed Spark table, read from its Parquet files (no second JVM)."""
    return pq.read_table(spark_dir / "tables" / f"{schema}.db" / table).to_pandas()


@dataclass
class Builds:
    project: object  # tests/python/conftest.FixtureProject, built on DuckDB
    spark_dir: Path  # SEGSCOPE_SPARK_DIR of the Spark build
    spark: subprocess.CompletedProcess
    results: list[dict]  # the Spark build's run_results
    env: dict
    variables: dict


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory, project_class):
    project = project_class(tmp_path_factory.mktemp("spark-build") / "project")
    with duckdb.connect(str(project.db)) as con:
        generate(con, n_users=SPARK_USERS, seed=1)
    variables = _vars(project.root)
    duck = project.build(vars=variables)
    assert duck.returncode == 0, duck.output[-5000:]

    spark_dir = project.root / "spark"
    env = {**os.environ, "SEGSCOPE_SPARK_DIR": str(spark_dir),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
    load = subprocess.run([str(SEGSCOPE), "spark", "load", "--db", str(project.db)],
                          cwd=project.root, env=env, capture_output=True, text=True)
    assert load.returncode == 0, load.stdout + load.stderr
    spark = _spark_build(project.root, env, variables)
    results = json.loads((project.root / "target" / "run_results.json").read_text())["results"]
    return Builds(project, spark_dir, spark, results, env, variables)


def _spark_build(root: Path, env: dict, variables: dict, *args: str):
    return subprocess.run(
        [str(SEGSCOPE), "spark", "build", "--project-dir", str(root), "--profiles-dir",
         str(root), "--vars", json.dumps(variables), *args],
        cwd=root, env=env, capture_output=True, text=True)


def test_every_model_test_and_unit_test_passes_on_spark(both_engines):
    spark = both_engines.spark
    assert spark.returncode == 0, (spark.stdout + spark.stderr)[-8000:]
    statuses = {r["unique_id"]: r["status"] for r in both_engines.results}
    # exposures only document what reads the marts: dbt does nothing for them
    bad = {node: status for node, status in statuses.items()
           if status not in ("success", "pass", "warn")
           and not (node.startswith("exposure.") and status == "no-op")}
    assert not bad, bad
    python_models = [n for n in statuses if n.startswith("model.segscope.segmentation_")]
    assert len(python_models) >= 17
    assert any(n.startswith("unit_test.") for n in statuses)


def test_spark_finds_the_segments_duckdb_finds(both_engines):
    with duckdb.connect(str(both_engines.project.db), read_only=True) as con:
        duck = con.sql("select user_id, segment_id, top_segment_id from user_segments").df()
    spark = _spark_table(both_engines.spark_dir, "segscope", "user_segments")
    assert len(spark) == len(duck)
    both = duck.merge(spark, on="user_id", suffixes=("_duckdb", "_spark"))
    assert len(both) == len(duck)
    leaf_ari = adjusted_rand_score(both["segment_id_duckdb"], both["segment_id_spark"])
    top_ari = adjusted_rand_score(both["top_segment_id_duckdb"], both["top_segment_id_spark"])
    print(f"ARI DuckDB vs Spark on {len(both):,} users: leaf {leaf_ari:.3f}, top {top_ari:.3f}")
    assert leaf_ari >= 0.95
    assert top_ari >= 0.95


def test_spark_scored_the_users_outside_the_fit_sample_on_the_workers(both_engines):
    spark_dir = both_engines.spark_dir
    assignments = _spark_table(spark_dir, "segscope", "segmentation_assignments")
    assert assignments["in_fit_sample"].sum() == FIT_SAMPLE_SIZE
    assert (~assignments["in_fit_sample"]).sum() == len(assignments) - FIT_SAMPLE_SIZE > 0
    segments = _spark_table(spark_dir, "segscope", "segments")
    top = segments[segments["depth"] == 1]
    assert top["n_users"].sum() == len(assignments)
    assert top["share_of_users"].sum() == pytest.approx(1.0)


def test_apply_mode_on_spark_keeps_the_persisted_fit(both_engines):
    """Runs last: it rebuilds the Spark tables. A model reads its own previous table (the
    swap-in materialization keeps it until the new one is complete)."""
    spark_dir = both_engines.spark_dir
    fit_before = _spark_table(spark_dir, "segscope", "segmentation_fit")
    users_before = _spark_table(spark_dir, "segscope", "user_segments")
    applied = _spark_build(both_engines.project.root, both_engines.env,
                           {**both_engines.variables, "segscope_mode": "apply"},
                           "--select", "segmentation_fit+")
    assert applied.returncode == 0, (applied.stdout + applied.stderr)[-8000:]
    fit_after = _spark_table(spark_dir, "segscope", "segmentation_fit")
    assert fit_after["model_version"].tolist() == fit_before["model_version"].tolist()
    assert fit_after["fitted_at"].tolist() == fit_before["fitted_at"].tolist()
    assert len(_spark_table(spark_dir, "segscope", "segment_scores")) == 0
    users_after = _spark_table(spark_dir, "segscope", "user_segments")
    both = users_before.merge(users_after, on="user_id", suffixes=("_before", "_after"))
    assert len(both) == len(users_before) == len(users_after)
    assert (both["segment_id_before"] == both["segment_id_after"]).all()
    assert (users_after["assigned_by"] == "fit").all()
