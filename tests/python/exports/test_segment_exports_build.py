"""segment_exports end to end: `dbt build` exports every BI table to Parquet; a reader querying
the export's catalog in a tight loop never blocks the next build and never sees an error, a
half-written table or two fits at once; a failed test upstream leaves the previous export
untouched."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
import yaml

BI_TABLES = [
    "user_features", "user_event_features", "user_segments", "segments", "segment_profiles",
    "segment_explanations",
    "segment_fidelity", "segment_confusion", "segment_stability", "segment_cohorts",
    "segment_model_selection", "segment_items", "segment_embedding", "segment_explained_variance",
    "segment_lineage", "segment_migrations",
]

READER = """
import json, os, sys, time
import duckdb

export_dir, stop_file, log_file = sys.argv[1:4]
catalog = os.path.join(export_dir, "segment_tables.duckdb")
QUERIES = {
    "user_segments": "select count(*), list(distinct model_version) from user_segments",
    "segments": "select sum(n_users) filter (where depth = 1), list(distinct model_version) "
                "from segments",
}
with open(log_file, "w") as log:
    while not os.path.exists(stop_file):
        # a BI tool's session: open the catalog, ask, close
        read = {"at": time.time()}
        try:
            with duckdb.connect(catalog, read_only=True, config={"threads": 1}) as con:
                for table, query in QUERIES.items():
                    (n_users, versions), = con.sql(query).fetchall()
                    read[table] = {"n_users": n_users, "versions": versions}
        except Exception as error:
            read["error"] = repr(error)
        log.write(json.dumps(read) + "\\n")
        log.flush()
"""


def digest(directory: Path) -> dict[str, str]:
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def model_version(project) -> str:
    (version,), = project.query("select distinct model_version from user_segments")
    return version


@pytest.fixture(scope="module")
def built(tmp_path_factory, project_class, demo_raw):
    """The fixture project, built once with the default vars."""
    project = project_class(tmp_path_factory.mktemp("exports") / "project")
    shutil.copy(demo_raw, project.db)
    result = project.build()
    assert result.returncode == 0, result.output
    return project


def exports_of(project) -> Path:
    """The default export directory: next to the DuckDB file, <stem>_exports."""
    return project.db.parent / f"{project.db.stem}_exports"


def test_every_bi_table_is_exported_as_it_is_in_the_warehouse(built):
    export_dir = exports_of(built)
    version = model_version(built)
    manifest = json.loads((export_dir / "_manifest.json").read_text())
    summary = built.query("select table_name, file_path, n_rows, model_version, exported_at "
                          "from segment_exports order by table_name")

    assert sorted(row[0] for row in summary) == sorted(BI_TABLES)
    assert manifest["model_version"] == version
    assert {t["table_name"]: t["n_rows"] for t in manifest["tables"]} == {
        row[0]: row[2] for row in summary}
    with duckdb.connect(str(built.db), read_only=True) as con:
        for table, file_path, n_rows, row_version, _ in summary:
            assert Path(file_path) == export_dir / f"{table}.parquet"
            assert row_version == version
            (in_warehouse,), = con.sql(f"select count(*) from {table}").fetchall()
            assert n_rows == in_warehouse, table
            # the same rows, the same columns and types
            differ = con.sql(
                f"select count(*) from ((select * from {table} except all "
                f"select * from read_parquet('{file_path}')) union all "
                f"(select * from read_parquet('{file_path}') except all select * from {table}))"
            ).fetchall()[0][0]
            assert differ == 0, table
            columns = [row[:2] for row in con.sql(f"describe {table}").fetchall()]
            exported = con.sql(f"describe select * from read_parquet('{file_path}')").fetchall()
            assert [row[:2] for row in exported] == columns, table
    assert not [p for p in export_dir.rglob("*") if p.name.endswith(".tmp")]
    # the catalog BI tools open: one view per table, the same rows
    with duckdb.connect(str(export_dir / "segment_tables.duckdb"), read_only=True) as con:
        for table, _, n_rows, _, _ in summary:
            assert con.sql(f"select count(*) from {table}").fetchall() == [(n_rows,)], table


def test_readers_of_the_export_never_block_a_build_nor_see_a_partial_table(built, tmp_path):
    export_dir = exports_of(built)
    old_version = model_version(built)
    (n_users,), = built.query("select count(*) from user_segments")
    params = yaml.safe_load((built.root / "dbt_project.yml").read_text())["vars"][
        "segscope_segmentation"]
    params = {**params, "random_state": params["random_state"] + 1}
    log_file, stop_file = tmp_path / "reads.jsonl", tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(export_dir), str(stop_file),
                               str(log_file)], stderr=subprocess.PIPE, text=True)
    try:
        while not log_file.exists() or log_file.stat().st_size == 0:  # reading already
            assert reader.poll() is None, reader.stderr.read()
            time.sleep(0.05)
        started = time.time()
        result = built.build(vars={"segscope_segmentation": params})
        finished = time.time()
        time.sleep(1)  # and a little reading after it
    finally:
        stop_file.touch()
        reader.wait(timeout=60)
    assert reader.returncode == 0, reader.stderr.read()
    reads = [json.loads(line) for line in log_file.read_text().splitlines()]

    assert result.returncode == 0, result.output
    assert result.status("segment_exports") == "success"
    new_version = model_version(built)
    assert new_version != old_version
    assert [r for r in reads if "error" in r] == []
    during = [r for r in reads if started < r["at"] < finished]
    assert len(during) >= 100, f"{len(during)} reads while the build ran"
    # the build wrote while the reader read: the old generation until the export, then the new
    seen = [r["user_segments"]["versions"] for r in reads]
    assert {tuple(v) for v in seen} == {(old_version,), (new_version,)}
    first_new = seen.index([new_version])
    assert seen[:first_new] == [[old_version]] * first_new
    assert seen[first_new:] == [[new_version]] * (len(seen) - first_new)
    for r in reads:
        # whole tables of one fit, both tables of the same one, every time
        assert r["user_segments"]["n_users"] == r["segments"]["n_users"] == n_users, r
        assert r["segments"]["versions"] == r["user_segments"]["versions"], r
    assert json.loads((export_dir / "_manifest.json").read_text())["model_version"] == (
        new_version)


def test_a_failed_test_upstream_leaves_the_previous_export_untouched(built, tmp_path,
                                                                   project_class):
    project = project_class(tmp_path / "project")
    shutil.copy(built.db, project.db)
    shutil.copytree(exports_of(built), exports_of(project))
    before = digest(exports_of(project))
    # what the build reads (it publishes to main only at the end)
    project.execute("update main_unpublished.segmentation_assignments set confidence = 2 "
                    "where user_id = (select min(user_id) from segmentation_assignments)")

    result = project.build("--select", "user_segments", "segment_exports")

    assert result.returncode != 0
    assert "fail" in result.statuses.values(), result.output  # confidence outside [0, 1]
    assert result.status("segment_exports") == "skipped"
    assert digest(exports_of(project)) == before
