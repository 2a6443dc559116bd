"""A `dbt build` killed with SIGKILL (kill -9) half way: what BI reads survives, the next build
repairs the rest.

Killed while `segmentation_fit` runs (its Python is running, it has not written its table):
the DuckDB file opens, read-only (with the killed run's write-ahead log still next to it) and
read-write; every segment table, the persisted fit (which still unpickles) and the Parquet export
are exactly as the previous build left them, and no `__dbt_tmp` or `__dbt_backup` relation is
left behind. The next build, with another seed, succeeds and gives every segment table a new
model version.

Killed while the segment marts build (when `segments` starts): they build unpublished and are
published together only when every node of the build passed (macros/publication.sql), so BI
still reads the previous build's tables, all of them, and the export too. A mart failing half
way publishes nothing either; rebuilding only that mart afterwards would publish the new fit
beside the old segments, and is refused. The next whole build publishes the new fit everywhere.
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
    return re.search(rf"START \w+ \w+ model main_unpublished\.{model}\b", output) is not None


def finished(output: str, model: str) -> bool:
    return re.search(rf"OK created \w+ \w+ model main_unpublished\.{model}\b",
                     output) is not None


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


def assert_bi_reads_the_previous_build(project, before: dict, export_before: dict,
                                       read_modes=(True, False)) -> dict:
    """Every table in main and the export exactly as the previous build published them: what
    a reader sees, opening the file read-only and read-write; returns the last state read."""
    for read_only in read_modes:
        after = warehouse_state(project, read_only=read_only)
        assert after["fit_version"] == before["fit_version"]
        assert after["versions"] == before["versions"]
        assert {t: r for t, r in after["rows"].items() if r != before["rows"][t]} == {}
        assert leftovers(after) == []
    assert digest(exports_of(project)) == export_before
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
    after = assert_bi_reads_the_previous_build(project, before, export_before)
    assert after["relations"] == before["relations"]

    assert_next_build_publishes_a_new_fit(project, vars, old_version)


def test_a_build_killed_while_the_marts_build_publishes_nothing(project):
    before, export_before = built(project)
    old_version = before["fit_version"]
    vars = another_seed(project)

    build = Build(project, vars)
    build.wait_for(lambda: started(build.output, "segments"), "segments START")
    build.kill()
    output = build.output
    # the killed build had rebuilt the fit and the marts segments reads, unpublished
    assert {"segmentation_fit", "segment_profiles", "segment_fidelity",
            "segment_stability"} <= {t for t in segment_tables(project) if finished(output, t)}
    assert project.query("select distinct model_version from main_unpublished.segmentation_fit"
                         ) != [(old_version,)]

    # what BI reads is the previous build's, every table of it, row for row
    assert_bi_reads_the_previous_build(project, before, export_before)

    assert_next_build_publishes_a_new_fit(project, vars, old_version)
    # the refit continues what BI last saw, not the fit the killed build never published
    assert project.query("select distinct previous_model_version from segment_lineage") == [
        (old_version,)]


def test_a_mart_failing_midway_publishes_nothing_and_a_partial_rerun_cannot_mix_fits(project):
    before, export_before = built(project)
    old_version = before["fit_version"]
    vars = another_seed(project)
    # segments and user_segments read segment_profiles: they are skipped after the new fit
    failing = "select * from final where error('segment_profiles fails midway') is null"
    project.edit("models/marts/segment_profiles.sql", "select * from final", failing)

    result = project.build(vars=vars)
    assert result.returncode != 0
    assert result.status("segmentation_fit") == "success"
    assert result.status("segment_profiles") == "error"
    assert result.status("segments") == "skipped"
    assert "segscope: nothing published" in result.output, result.output
    assert_bi_reads_the_previous_build(project, before, export_before, read_modes=(True,))

    # rebuilding the failed mart alone would publish the new fit beside the old segments:
    # refused, naming the versions, and nothing published
    project.edit("models/marts/segment_profiles.sql", failing, "select * from final")
    partial = project.build("--select", "segment_profiles", vars=vars)
    assert partial.returncode != 0
    assert partial.status("segment_profiles") == "success"
    message = re.sub(r"\s+", " ", partial.output)
    assert "the unpublished tables hold more than one model version" in message, partial.output
    assert old_version in message and "Run a whole `dbt build`" in message
    assert warehouse_state(project)["versions"] == before["versions"]

    assert_next_build_publishes_a_new_fit(project, vars, old_version)
