"""segscope.exports on its own: each export a new generation, published atomically; a reader of
the catalog keeps one generation; nothing published by a failed export; leftovers of a killed
export removed; a bad directory named by its var."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from segscope import exports
from segscope.exports import (
    CATALOG_NAME,
    GENERATIONS,
    KEEP_GENERATIONS,
    LOCK_NAME,
    MANIFEST_NAME,
    TEMP_PREFIX,
    common_model_version,
    export_marts,
    export_tables,
    remove_stale_temporary_files,
    resolve_export_dir,
)


def segment_tables(version: str, n_users: int) -> dict[str, pd.DataFrame]:
    """Two tables of one fit, sized so that a version can be told by its row count too."""
    users = pd.DataFrame({"user_id": range(n_users), "segment_id": ["1"] * n_users,
                          "model_version": version})
    segments = pd.DataFrame({"segment_id": ["1"], "depth": [1], "n_users": [n_users],
                             "model_version": version})
    return {"user_segments": users, "segments": segments}


def read(path: Path) -> tuple[int, list[str]]:
    """Rows and model versions of a Parquet file, read the way a BI tool would."""
    with duckdb.connect() as con:
        (rows, versions), = con.sql(
            f"select count(*), list(distinct model_version order by model_version) "
            f"from read_parquet('{path}')").fetchall()
    return rows, versions


def leftovers(directory: Path) -> list[str]:
    """The temporary files and folders in an export directory and its generations."""
    return sorted(p.name for p in directory.rglob(f"{TEMP_PREFIX}*") if p.name.endswith(".tmp"))


def through_catalog(directory: Path, table: str) -> tuple[int, list[str]]:
    """Rows and model versions of a table, read through the export's DuckDB catalog."""
    with duckdb.connect(str(directory / CATALOG_NAME), read_only=True) as con:
        (rows, versions), = con.sql(
            f"select count(*), list(distinct model_version order by model_version) "
            f"from {table}").fetchall()
    return rows, versions


def generations(directory: Path) -> list[str]:
    return sorted(p.name for p in (directory / GENERATIONS).iterdir())


def snapshot(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def test_exports_every_table_and_then_the_manifest(tmp_path):
    when = datetime(2026, 3, 1, 12, 30, tzinfo=timezone.utc)
    summary = export_tables(segment_tables("v1", 30), tmp_path / "out", "v1", now=when)

    out = tmp_path / "out"
    assert read(out / "user_segments.parquet") == (30, ["v1"])
    assert read(out / "segments.parquet") == (1, ["v1"])
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["user_segments.parquet", "segments.parquet", MANIFEST_NAME, LOCK_NAME, CATALOG_NAME,
         GENERATIONS])
    generation = "20260301T123000000000Z-v1"
    assert generations(out) == [generation]
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest == {
        "model_version": "v1",
        "exported_at": "2026-03-01T12:30:00Z",
        "generation": generation,
        "catalog": CATALOG_NAME,
        "tables": [
            {"table_name": "user_segments", "file_name": "user_segments.parquet",
             "generation_file": f"{GENERATIONS}/{generation}/user_segments.parquet",
             "n_rows": 30},
            {"table_name": "segments", "file_name": "segments.parquet",
             "generation_file": f"{GENERATIONS}/{generation}/segments.parquet", "n_rows": 1},
        ],
    }
    # the stable name is the generation's file itself, and the catalog reads the same
    assert (out / "segments.parquet").samefile(out / GENERATIONS / generation / "segments.parquet")
    assert through_catalog(out, "user_segments") == (30, ["v1"])
    assert summary.to_dict("list") == {
        "table_name": ["user_segments", "segments"],
        "file_path": [str(out / "user_segments.parquet"), str(out / "segments.parquet")],
        "n_rows": [30, 1],
        "model_version": ["v1", "v1"],
        "exported_at": [pd.Timestamp("2026-03-01 12:30:00")] * 2,
    }


def test_duckdb_relations_are_written_by_duckdb(tmp_path):
    with duckdb.connect() as con:
        relation = con.sql("select range as user_id, 'v1' as model_version from range(1000)")
        summary = export_tables({"user_segments": relation}, tmp_path, "v1")
    assert summary.n_rows.tolist() == [1000]
    assert read(tmp_path / "user_segments.parquet") == (1000, ["v1"])


def test_nothing_is_published_before_every_table_is_written(tmp_path, monkeypatch):
    """At every rename the stable name is still the old, whole, readable file and the new one
    is complete beside it, the new generation is whole before anything is published, and the
    manifest names the old version until every table is replaced."""
    export_tables(segment_tables("v1", 30), tmp_path, "v1")
    real_replace = os.replace
    seen = []

    def checking_replace(source, destination):
        source, destination = Path(source), Path(destination)
        assert json.loads((tmp_path / MANIFEST_NAME).read_text())["model_version"] == "v1"
        if destination.parent.name == GENERATIONS:  # the new generation, renamed into place
            assert sorted(p.name for p in source.iterdir()) == [
                "segments.parquet", "user_segments.parquet"]
        else:
            assert source.parent == destination.parent  # same directory, same filesystem
            assert len(generations(tmp_path)) == 2  # both generations are there
        if destination.suffix == ".parquet":
            old_rows = 30 if destination.name == "user_segments.parquet" else 1
            new_rows = 45 if destination.name == "user_segments.parquet" else 1
            assert read(destination) == (old_rows, ["v1"])
            assert read(source) == (new_rows, ["v2"])
        if destination.name == CATALOG_NAME:
            assert through_catalog(tmp_path, "user_segments") == (30, ["v1"])
        seen.append(destination.name)
        real_replace(source, destination)

    monkeypatch.setattr(exports.os, "replace", checking_replace)
    export_tables(segment_tables("v2", 45), tmp_path, "v2")

    assert seen[1:] == [CATALOG_NAME, "user_segments.parquet", "segments.parquet",
                        MANIFEST_NAME]
    assert seen[0].endswith("-v2")
    assert read(tmp_path / "user_segments.parquet") == (45, ["v2"])
    assert through_catalog(tmp_path, "user_segments") == (45, ["v2"])
    assert json.loads((tmp_path / MANIFEST_NAME).read_text())["model_version"] == "v2"
    assert leftovers(tmp_path) == []


def test_a_catalog_reader_keeps_reading_one_generation(tmp_path):
    """A connection opened on the catalog before an export reads the old generation, across
    tables, until it reconnects; old generations beyond KEEP_GENERATIONS go."""
    export_tables(segment_tables("v1", 30), tmp_path, "v1")
    with duckdb.connect(str(tmp_path / CATALOG_NAME), read_only=True) as held:
        export_tables(segment_tables("v2", 45), tmp_path, "v2")
        assert held.sql("select count(*) from user_segments").fetchall() == [(30,)]
        assert held.sql("select sum(n_users) from segments").fetchall() == [(30,)]
    assert through_catalog(tmp_path, "segments") == (1, ["v2"])
    for version in range(3, 3 + KEEP_GENERATIONS):
        export_tables(segment_tables(f"v{version}", 10), tmp_path, f"v{version}")
    kept = generations(tmp_path)
    assert len(kept) == KEEP_GENERATIONS and kept[-1].endswith(f"-v{2 + KEEP_GENERATIONS}")


def test_a_reader_holding_the_old_file_keeps_reading_it(tmp_path):
    export_tables(segment_tables("v1", 30), tmp_path, "v1")
    with open(tmp_path / "user_segments.parquet", "rb") as held:
        export_tables(segment_tables("v2", 45), tmp_path, "v2")
        old = pq.read_table(held)
    assert old.num_rows == 30
    assert set(old.column("model_version").to_pylist()) == {"v1"}


def test_a_failed_export_publishes_nothing_and_leaves_no_temporary_file(tmp_path, monkeypatch):
    export_tables(segment_tables("v1", 30), tmp_path, "v1")
    before = snapshot(tmp_path)
    real_write = pq.write_table
    calls = []

    def failing_write(table, where, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # the second table: the disk is full
            raise OSError(28, "No space left on device")
        real_write(table, where, **kwargs)

    monkeypatch.setattr(exports.pq, "write_table", failing_write)
    with pytest.raises(OSError, match=r"exporting segments to .*segscope_export_dir.*No space"):
        export_tables(segment_tables("v2", 45), tmp_path, "v2")

    assert snapshot(tmp_path) == before
    assert leftovers(tmp_path) == []
    assert read(tmp_path / "user_segments.parquet") == (30, ["v1"])


KILLED_EXPORT = """
import os, signal, sys
import pandas as pd
from segscope import exports

real_replace = os.replace

def killed(source, destination):
    if str(destination).endswith(exports.CATALOG_NAME):
        os.kill(os.getpid(), signal.SIGKILL)  # killed between writing and publishing
    real_replace(source, destination)

exports.os.replace = killed
frame = pd.DataFrame({"user_id": range(50), "model_version": "v2"})
exports.export_tables({"user_segments": frame, "segments": frame}, sys.argv[1], "v2")
"""


def test_leftovers_of_a_killed_export_are_removed_by_the_next(tmp_path):
    export_tables(segment_tables("v1", 30), tmp_path, "v1")
    (tmp_path / "notes.txt").write_text("not ours")
    (tmp_path / ".other-tool.tmp").write_text("not ours either")
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_EXPORT),
                             str(tmp_path)], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    left = leftovers(tmp_path)
    # the catalog, both stable names and the manifest, written and never published
    assert len(left) == 4, left
    assert read(tmp_path / "user_segments.parquet") == (30, ["v1"])  # still the old export
    assert through_catalog(tmp_path, "user_segments") == (30, ["v1"])

    export_tables(segment_tables("v3", 60), tmp_path, "v3")

    assert leftovers(tmp_path) == []
    assert (tmp_path / "notes.txt").exists() and (tmp_path / ".other-tool.tmp").exists()
    assert read(tmp_path / "user_segments.parquet") == (60, ["v3"])


def test_remove_stale_temporary_files_removes_only_ours(tmp_path):
    ours = [f"{TEMP_PREFIX}segments.0a1b.tmp", f"{TEMP_PREFIX}user_segments.2c3d.tmp.tmp"]
    for name in [*ours, "segments.parquet", f"{TEMP_PREFIX}notes.txt", "x.tmp"]:
        (tmp_path / name).write_text("")
    unfinished = tmp_path / GENERATIONS / f"{TEMP_PREFIX}20260301T000000Z-v1.tmp"
    unfinished.mkdir(parents=True)
    (unfinished / "segments.parquet").write_text("")
    removed = remove_stale_temporary_files(tmp_path)
    assert sorted(p.name for p in removed) == sorted([*ours, unfinished.name])
    assert not unfinished.exists()
    (tmp_path / GENERATIONS).rmdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["segments.parquet", f"{TEMP_PREFIX}notes.txt", "x.tmp"])


def test_the_directory_is_created(tmp_path):
    export_tables(segment_tables("v1", 3), tmp_path / "a" / "b", "v1")
    assert (tmp_path / "a" / "b" / "segments.parquet").exists()


def test_a_directory_that_cannot_be_created_is_named_with_its_var(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=r"var segscope_export_dir: .*file exists and is not a "
                                         r"directory"):
        export_tables(segment_tables("v1", 3), tmp_path / "file", "v1")
    with pytest.raises(ValueError, match=r"var segscope_export_dir: cannot create the export "
                                         r"directory .*file/sub"):
        export_tables(segment_tables("v1", 3), tmp_path / "file" / "sub", "v1")


def test_a_directory_that_cannot_be_written_is_named_with_its_var(tmp_path, monkeypatch):
    def refused(self, data):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(Path, "write_bytes", refused)
    with pytest.raises(ValueError, match=r"var segscope_export_dir: cannot write to the export "
                                         r"directory .*Permission denied"):
        export_tables(segment_tables("v1", 3), tmp_path, "v1")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_a_read_only_directory_is_named_with_its_var(tmp_path):
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(ValueError, match="var segscope_export_dir: cannot write"):
            export_tables(segment_tables("v1", 3), tmp_path, "v1")
    finally:
        tmp_path.chmod(0o700)


def test_the_default_directory_is_next_to_the_database(tmp_path, monkeypatch):
    assert resolve_export_dir(None, "/data/wh/segscope.duckdb") == Path(
        "/data/wh/segscope_exports")
    monkeypatch.chdir(tmp_path)
    assert resolve_export_dir(None, "warehouse/segscope.duckdb") == (
        tmp_path / "warehouse" / "segscope_exports")
    assert resolve_export_dir("exports/bi", "/data/wh/segscope.duckdb") == tmp_path / "exports/bi"
    for database in (None, "", ":memory:", "md:my_db"):
        with pytest.raises(ValueError, match="database is not a local file.*set "
                                             "segscope_export_dir"):
            resolve_export_dir(None, database)
    with pytest.raises(ValueError, match="var segscope_export_dir must be a directory path"):
        resolve_export_dir(42, "/data/wh/segscope.duckdb")


def test_export_marts_writes_next_to_the_session_database(tmp_path):
    with duckdb.connect(str(tmp_path / "wh.duckdb")) as con:
        con.execute("create table user_segments as select range as user_id, 'v1' as "
                    "model_version from range(20)")
        con.execute("create table user_features as select range as user_id from range(20)")
        tables = {name: con.table(name) for name in ("user_segments", "user_features")}
        summary = export_marts(con, tables, True, None)
        assert summary.model_version.tolist() == ["v1", "v1"]
        assert read(tmp_path / "wh_exports" / "user_segments.parquet") == (20, ["v1"])

        assert export_marts(con, tables, False, None).empty
        assert export_marts(con, tables, "false", str(tmp_path / "elsewhere")).empty
        assert not (tmp_path / "elsewhere").exists()
        with pytest.raises(ValueError, match="var segscope_export must be true or false"):
            export_marts(con, tables, "yes", None)


def test_tables_of_different_fits_are_not_exported_together():
    empty = pd.DataFrame({"model_version": pd.Series([], dtype="str")})
    with duckdb.connect() as con:
        relation = con.sql("select 'v1' as model_version")
        assert common_model_version({
            "features": pd.DataFrame({"user_id": [1]}), "items": empty, "relation": relation,
            "arrow": pa.table({"model_version": ["v1", None]}), **segment_tables("v1", 3),
        }) == "v1"
    with pytest.raises(ValueError, match=r"different segmentation fits \(model_version v1: "
                                         r"user_segments, segments; v2: other\)"):
        common_model_version({**segment_tables("v1", 3),
                              "other": pd.DataFrame({"model_version": ["v2"]})})
