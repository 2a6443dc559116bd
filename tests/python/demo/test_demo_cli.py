"""The command line: runs end to end on a file, rejects bad arguments clearly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

import segscope
from segscope.demo.cli import main


def test_generates_into_a_new_folder(tmp_path, capsys):
    db = tmp_path / "nested" / "warehouse" / "demo.duckdb"
    code = main(["--users", "400", "--seed", "5", "--db", str(db), "--schema", "landing"])
    assert code == 0
    out = capsys.readouterr().out
    assert "generating events" in out
    assert "landing.users: 400 rows" in out
    con = duckdb.connect(str(db), read_only=True)
    users, truth, events = con.execute(
        "select (select count(*) from landing.users), (select count(*) from landing.persona_truth),"
        " (select count(*) from landing.events)"
    ).fetchall()[0]
    con.close()
    assert (users, truth) == (400, 400)
    assert f"landing.events: {events:,} rows" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--users", "0"], "argument --users: must be between 1"),
        (["--users", "-3"], "argument --users: must be between 1"),
        (["--users", "lots"], "argument --users: must be a whole number, got 'lots'"),
        (["--seed", "-1"], "argument --seed: must be between 0"),
        (["--schema", "raw data"], "argument --schema: must be a plain SQL identifier"),
        (["--as-of", "june"], "argument --as-of: must be an ISO date or timestamp"),
    ],
)
def test_rejects_bad_arguments(tmp_path, capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main([*arguments, "--db", str(tmp_path / "never.duckdb")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "never.duckdb").exists()


def test_rejects_a_folder_as_database(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--users", "10", "--db", str(tmp_path)])
    assert exit_info.value.code == 2
    assert "is a folder, expected a database file" in capsys.readouterr().err


def test_runs_as_a_module(tmp_path):
    source = Path(segscope.__file__).parents[1]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(source), os.environ.get("PYTHONPATH", "")]),
    }
    db = tmp_path / "module.duckdb"
    done = subprocess.run(
        [sys.executable, "-m", "segscope.demo", "--users", "50", "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "raw.persona_truth: 50 rows" in done.stdout
    assert db.exists()
