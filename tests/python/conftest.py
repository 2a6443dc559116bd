"""Shared fixtures: a throw-away copy of the dbt project on a small demo warehouse."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from segscope.demo import generate

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PARTS = ("dbt_project.yml", "profiles.yml", "models", "python_models", "macros", "seeds")
DBT = Path(sys.executable).with_name("dbt")
FIXTURE_USERS = 600


@dataclass
class BuildResult:
    returncode: int
    output: str
    statuses: dict[str, str]

    def status(self, name: str) -> str:
        """Status of the node called `name` (a model, seed, test or unit test)."""
        # ids: model.<project>.<name>, test.<project>.<name>.<hash>, unit_test.<p>.<model>.<name>
        matches = [s for node, s in self.statuses.items() if name in node.split(".")[2:4]]
        assert matches, f"{name} did not run; ran: {sorted(self.statuses)}"
        return matches[0]


class FixtureProject:
    """The project copied to tmp_path with its own DuckDB file, so a test can break it."""

    def __init__(self, root: Path):
        self.root = root
        self.db = root / "warehouse.duckdb"
        root.mkdir(parents=True)
        for part in PROJECT_PARTS:
            source = PROJECT_ROOT / part
            if source.is_dir():
                shutil.copytree(source, root / part)
            elif source.exists():
                shutil.copy(source, root / part)
        shutil.copytree(
            PROJECT_ROOT / "tests", root / "tests", ignore=shutil.ignore_patterns("python")
        )

    def execute(self, *statements: str) -> None:
        with duckdb.connect(str(self.db)) as con:
            for statement in statements:
                con.execute(statement)

    def query(self, statement: str) -> list[tuple]:
        with duckdb.connect(str(self.db), read_only=True) as con:
            return con.sql(statement).fetchall()

    def edit(self, relative_path: str, old: str, new: str) -> None:
        """Replace text in a copied project file; the text must be there."""
        path = self.root / relative_path
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative_path}"
        path.write_text(text.replace(old, new))

    def build(self, *args: str, vars: dict | None = None) -> BuildResult:
        command = [str(DBT), "build", "--project-dir", str(self.root), "--profiles-dir",
                   str(self.root), *args]
        if vars:
            command += ["--vars", json.dumps(vars)]
        env = {**os.environ, "SEGSCOPE_DB": str(self.db), "DBT_SEND_ANONYMOUS_USAGE_STATS": "0"}
        done = subprocess.run(command, cwd=self.root, env=env, capture_output=True, text=True)
        run_results = self.root / "target" / "run_results.json"
        statuses = {}
        if run_results.exists():
            for result in json.loads(run_results.read_text())["results"]:
                statuses[result["unique_id"]] = result["status"]
        return BuildResult(done.returncode, done.stdout + done.stderr, statuses)

    def build_data_layer(self, *args: str, vars: dict | None = None) -> BuildResult:
        """`dbt build` of everything up to user_features and the feature catalog (cautious:
        without the tests that also read segment tables)."""
        return self.build("--select", "+feature_catalog", "--indirect-selection", "cautious",
                          *args, vars=vars)

    def failures_of(self, test_name: str) -> list[tuple]:
        """The rows a failed test stored (store_failures is on for every project test)."""
        return self.query(f"select * from main_dbt_test__audit.{test_name}")


@pytest.fixture(scope="session")
def project_class() -> type[FixtureProject]:
    """FixtureProject, for tests that set up their own copy of the project."""
    return FixtureProject


@pytest.fixture(scope="session")
def fixture_users() -> int:
    return FIXTURE_USERS


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    """A small demo warehouse with the raw tables only, generated once and copied per test."""
    db = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with duckdb.connect(str(db)) as con:
        generate(con, n_users=FIXTURE_USERS, seed=7)
    return db


@pytest.fixture
def project(tmp_path, demo_raw) -> FixtureProject:
    fixture = FixtureProject(tmp_path / "project")
    shutil.copy(demo_raw, fixture.db)
    return fixture
