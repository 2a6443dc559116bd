"""One demo warehouse built end to end (5,000 users), shared by the segment-table and report
tests. They run in one xdist group (`--dist loadgroup`), so it is built once."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from segscope.demo import generate
from segscope.report.chromium import CHROMIUM, launch

E2E_USERS = 5_000


@pytest.fixture(scope="session")
def segmented(tmp_path_factory, project_class):
    project = project_class(tmp_path_factory.mktemp("segmented") / "project")
    with duckdb.connect(str(project.db)) as con:
        generate(con, n_users=E2E_USERS, seed=42)
    result = project.build()
    assert result.returncode == 0, result.output
    return project


@pytest.fixture
def segmented_copy(segmented, tmp_path, project_class):
    """A copy of the built project, for tests that try to break it."""
    copy = project_class(tmp_path / "project")
    shutil.copy(segmented.db, copy.db)
    return copy


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's, `make browser`), driven by playwright."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make browser` installs Debian's (or set "
                    "SEGSCOPE_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
