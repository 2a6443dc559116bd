"""A `dbt build` killed with SIGKILL (kill -9) half way: what BI reads survives, the next build
repairs the rest.

Killed while `segmentation_fit` runs (its Python is running, it has not written its table):
the DuckDB file opens, read-only (with the killed run's write-ahead log still next to it) and
read-write; every segment table, the persisted fit (which still unpickles) and the Parquet export
are exactly as the previous build left them, and no `__dbt_tmp` or `__dbt_backup` relation is
left behind. The next build, with another seed, succeeds and gives every segment table a new
model version.

Killed while the segment marts publish (when `segments` starts): the marts are separate tables,
each replaced in its own transaction, so they do NOT publish together. Each table is whole, of
one fit: those that finished before the kill (the persisted fit among them) hold the new fit,
those that had not started the old one, so the warehouse holds tables of two fits until the
next build. The Parquet export,
published in one step at the end of a build, still holds the old fit, whole and byte for byte:
BI reading the export never sees the mix. The next build brings every table to the new fit.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from segscope.warehouse import load_result

DBT = Path(sys.executable).with_name("dbt")
# a started build gets this long to reach the node it is killed at
REACH_TIMEOUT = 600
LEFTOVER_MARKERS = ("__dbt_tmp", "__dbt_backup")
# tables that keep every model version's rows; every other segment table holds one fit's
ACCUMULATING = {"user_segment_history"}


def marts(project) -> set[str]:
    """The tables BI reads: named from the project's model files, so a new mart is checked
    too."""
    return {path.stem for path in (project.root / "models" / "marts").glob("*.sql")}


def segment_tables(project) -> list[str]:
    """The marts, the fit and every table unpacked from it, the export's summary."""
    python = {path.stem for path in (project.root / "python_models").rglob("*.py")}
    return sorted(marts(project) | python)


def exports_of(project) -> Path:
    """The default export directory: next to the DuckDB file, <stem>_exports."""
    return project.db.parent / f"{project.db.stem}_exports"


def digest(directory: Path) -> dict[str, str]:
    return {str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(directory.rglob("*")) if path.is_file()}


def warehouse_state(project, read_only: bool = True) -> dict:
    """What a reader of the warehouse sees: the relations of every schema, each segment table's
    rows (count and a hash of them, sorted), each table's model versions, and the fit."""
    with duckdb.connect(str(project.db), read_only=read_only) as con:
        relations = sorted(con.sql(
            "select schema_name, table_name from duckdb_tables() union all "
            "select schema_name, view_name from duckdb_views() where not internal"
        ).fetchall())
        rows, versions = {}, {}
        for table in segment_tables(project):
            # repr, not ==: NaN is not equal to itself
            content = repr(con.sql(f"select * from main.{table} order by all").fetchall())
            (n_rows,), = con.sql(f"select count(*) from main.{table}").fetchall()
            rows[table] = (n_rows, hashlib.sha256(content.encode()).hexdigest())
            columns = [row[0] for row in con.sql(f"describe main.{table}").fetchall()]
            if "model_version" in columns:  # an empty table has none
                versions[table] = sorted(v for (v,) in con.sql(
                    f"select distinct model_version from main.{table}").fetchall())
        fit = con.sql("select * from main.segmentation_fit").df()
    version, result = load_result(fit)  # the persisted model still unpickles
    assert version == fit["model_version"].iloc[0]
    assert result.tables(), "the unpickled fit has no tables"
    return {"relations": relations, "rows": rows, "versions": versions, "fit_version": version}


def outside_audit(state: dict) -> list[tuple[str, str]]:
    return [(schema, name) for schema, name in state["relations"]
            if not schema.endswith("_dbt_test__audit")]


def leftovers(state: dict) -> list[tuple[str, str]]:
    """dbt's intermediate relations (<name>__dbt_tmp, <name>__dbt_backup) visible to readers."""
    return [(schema, name) for schema, name in state["relations"]
            if any(marker in name for marker in LEFTOVER_MARKERS)]


def another_seed(project) -> dict:
    """--vars for a build with the project's engine parameters but the next random_state (a
    dict given with --vars replaces the project's whole dict)."""
    params = yaml.safe_load((project.root / "dbt_project.yml").read_text())["vars"][
        "segscope_segmentation"]
    return {"segscope_segmentation": {**params, "random_state": params["random_state"] + 1}}


class Build:
    """`dbt build` started in its own process group (as FixtureProject.build runs it), its
    output read as it comes, so it can be killed at a chosen node."""

    started: list[Build] = []

    def __init__(self, project, vars: dict):
        self.log = project.root / "logs" / "dbt.log"
        self.log_offset = self.log.stat().st_size if self.log.exists() else 0
        command = [str(DBT), "build", "--project-dir", str(project.root), "--profiles-dir",
                   str(project.root), "--vars", json.dumps(vars)]
        env = {**os.environ, "SEGSCOPE_DB": str(project.db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
        self.process = subprocess.Popen(command, cwd=project.root, env=env,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, start_new_session=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        Build.started.append(self)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def debug_log(self) -> str:
        """This run's part of dbt's debug log (logs/dbt.log), written as it goes."""
        if not self.log.exists():
            return ""
        with self.log.open(errors="replace") as log:
            log.seek(self.log_offset)
            return log.read()

    def wait_for(self, found, what: str) -> None:
        deadline = time.monotonic() + REACH_TIMEOUT
        while not found():
            assert self.process.poll() is None, f"the build ended before {what}:\n{self.output}"
            assert time.monotonic() < deadline, f"no {what} in {REACH_TIMEOUT}s:\n{self.output}"
            time.sleep(0.01)

    def kill(self) -> None:
        """SIGKILL to the whole process group: dbt and anything it started."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=60)
        self.reader.join(timeout=60)
        assert self.process.returncode == -signal.SIGKILL, self.output


@pytest.fixture(autouse=True)
def _no_build_left_running():
    """A test that fails before its kill must not leave dbt writing the next test's files."""
    yield
    while Build.started:
        build = Build.started.pop()
        if build.process.poll() is None:
            os.killpg(build.process.pid, signal.SIGKILL)
            build.process.wait(timeout=60)


def started(output: str, model: str) -> bool:
    return re.search(rf"START \w+ \w+ model main\.{model}\b", output) is not None


def finished(output: str, model: str) -> bool:
    return re.search(rf"OK created \w+ \w+ model main\.{model}\b", output) is not None


def assert_left_a_write_ahead_log(project) -> None:
    """The killed writer's committed changes are in the WAL, not yet in the file: what a
    reader opens next has something to recover."""
    wal = project.db.with_name(f"{project.db.name}.wal")
    assert wal.exists() and wal.stat().st_size > 0, f"no write-ahead log at {wal}"


def built(project) -> tuple[dict, dict]:
    """The project built once with the default vars: the warehouse's state and the export's."""
    result = project.build()
    assert result.returncode == 0, result.output
    state = warehouse_state(project)
    assert not leftovers(state), leftovers(state)
    # one fit everywhere
    assert {v for versions in state["versions"].values() for v in versions} == {
        state["fit_version"]}
    return state, digest(exports_of(project))


def assert_next_build_publishes_a_new_fit(project, vars: dict, old_version: str) -> dict:
    """The next build succeeds, every segment table holds its new fit, no leftovers; returns
    the warehouse's state."""
    result = project.build(vars=vars)
    assert result.returncode == 0, result.output
    after = warehouse_state(project)
    new_version = after["fit_version"]
    assert new_version != old_version
    for table in ACCUMULATING:  # appended, the old version kept
        assert after["versions"][table] == sorted([old_version, new_version]), table
    assert {t: v for t, v in after["versions"].items()
            if t not in ACCUMULATING and not set(v) <= {new_version}} == {}
    assert leftovers(after) == []
    manifest = json.loads((exports_of(project) / "_manifest.json").read_text())
    assert manifest["model_version"] == new_version
    return after


def test_a_build_killed_during_the_fit_leaves_the_previous_segments(project):
    before, export_before = built(project)
    old_version = before["fit_version"]
    vars = another_seed(project)

    build = Build(project, vars)
    build.wait_for(lambda: started(build.output, "segmentation_fit"), "segmentation_fit START")
    # the fit's Python is running (dbt logs its runtime code just before it runs it) ...
    build.wait_for(lambda: 'Writing runtime python for node "model.segscope.segmentation_fit"'
                   in build.debug_log(), "segmentation_fit's Python")
    time.sleep(1)  # ... and well into it (about 7 s on 600 users, 2 cores)
    build.kill()

    # the fit had not finished, nor even returned its table: dbt opens the transaction that
    # swaps the new table in only after the model's Python returns
    assert not finished(build.output, "segmentation_fit"), build.output
    assert "On model.segscope.segmentation_fit: BEGIN" not in build.debug_log()
    assert_left_a_write_ahead_log(project)
    # a reader opening the file right after the crash: read-only (the killed run's log of
    # committed changes is replayed in memory), then read-write (replayed and checkpointed)
    for read_only in (True, False):
        after = warehouse_state(project, read_only=read_only)
        assert after["fit_version"] == old_version
        assert after["versions"] == before["versions"]
        assert {t: r for t, r in after["rows"].items() if r != before["rows"][t]} == {}
        assert leftovers(after) == []
        assert after["relations"] == before["relations"]
    assert digest(exports_of(project)) == export_before

    assert_next_build_publishes_a_new_fit(project, vars, old_version)


def test_a_build_killed_while_the_marts_publish_leaves_each_table_whole(project):
    before, export_before = built(project)
    old_version = before["fit_version"]
    vars = another_seed(project)

    build = Build(project, vars)
    build.wait_for(lambda: started(build.output, "segments"), "segments START")
    build.kill()
    output = build.output
    assert_left_a_write_ahead_log(project)

    after = warehouse_state(project)
    new_version = after["fit_version"]
    assert new_version != old_version  # the fit finished: the killed run had a new fit
    done = {t for t in segment_tables(project) if finished(output, t)}
    not_started = {t for t in segment_tables(project) if not started(output, t)}
    # segments reads these: they were rebuilt before it started
    assert {"segmentation_fit", "segment_profiles", "segment_fidelity",
            "segment_stability"} <= done, output
    # these read user_segments, which reads segments: they had not started
    assert {"user_segment_history", "segment_items", "segment_exports"} <= not_started, output
    for table, versions in after["versions"].items():
        # whole tables: one fit's rows each, never a mix inside a table ...
        assert versions in ([], [old_version], [new_version]), (table, versions)
        if table in done:
            assert set(versions) <= {new_version}, table
        if table in not_started:
            assert set(versions) <= {old_version}, table
    for table in not_started:
        assert after["rows"][table] == before["rows"][table], table
    # ... but across tables the warehouse holds two fits until the next build: the marts are
    # replaced one by one, each in a transaction of its own
    in_marts = {t: v for t, v in after["versions"].items() if t in marts(project)}
    assert set().union(*in_marts.values()) == {old_version, new_version}, in_marts
    # no half-built table under a mart's name. A kill between the commit of a mart's swap and
    # the drop of its backup leaves that mart's <name>__dbt_backup beside it (whole, the old
    # rows), and only that one: the next build drops it (checked below)
    left = leftovers(after)
    assert {name.split("__dbt_")[0] for _, name in left} <= {"segments"}, left
    # every table and view is still there; a data test's stored failures (the audit schema)
    # are dropped and written again each time the test runs, so the one running when the
    # build was killed may be missing until the next build
    assert [r for r in outside_audit(after) if r not in left] == outside_audit(before)
    after_rw = warehouse_state(project, read_only=False)
    assert after_rw == after

    # what BI reads from the export is the old fit, whole: it is published at the end
    assert digest(exports_of(project)) == export_before
    with duckdb.connect(str(exports_of(project) / "segment_tables.duckdb"),
                        read_only=True) as con:
        for table in ("user_segments", "segments", "segment_profiles", "segment_stability"):
            assert con.sql(f"select distinct model_version from {table}").fetchall() == [
                (old_version,)], table

    final = assert_next_build_publishes_a_new_fit(project, vars, old_version)
    # the same seed on the same data: the same fit again, and each mart the killed build
    # published is the whole mart of that fit
    assert final["fit_version"] == new_version
    assert {t for t in done & marts(project) if after["rows"][t] != final["rows"][t]} == set()
    # the refit continues what BI last saw (user_segments, still the old fit), not the fit the
    # killed build wrote and never published
    assert project.query("select distinct previous_model_version from segment_lineage") == [
        (old_version,)]


