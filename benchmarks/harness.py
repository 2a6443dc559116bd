"""What every benchmark here shares: run a step as its own process, measure it, record it."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
BENCHMARKS_MD = ROOT / "BENCHMARKS.md"


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in MiB of that process). Fails loudly."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise SystemExit(f"failed: {' '.join(command)}\n{output.read().decode()[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def scratch_warehouse() -> tuple[Path, dict[str, str]]:
    """A fresh folder for one run, and the environment that points dbt at it."""
    workdir = Path(tempfile.mkdtemp(prefix="segscope-bench-"))
    env = {**os.environ, "SEGSCOPE_DB": str(workdir / "bench.duckdb"),
           "DBT_PROFILES_DIR": str(ROOT), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    return workdir, env


def generate_command(n_users: int, seed: int, db: str) -> list[str]:
    return [str(BIN / "segscope"), "demo", "--users", str(n_users), "--seed", str(seed),
            "--db", db]


def dbt_build_command(workdir: Path, *args: str) -> list[str]:
    return [str(BIN / "dbt"), "build", "--target-path", str(workdir / "target"),
            "--log-path", str(workdir), *args]


def query(db: str, sql: str) -> list[tuple]:
    with duckdb.connect(db, read_only=True) as con:
        return con.sql(sql).fetchall()


def write_section(name: str, section: str) -> None:
    """Replace this benchmark's section of BENCHMARKS.md (between its markers), or append it."""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    text = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else "# Benchmarks\n"
    section = f"{begin}\n{section}\n{end}"
    if begin in text:
        before, rest = text.split(begin, 1)
        text = before + section + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    BENCHMARKS_MD.write_text(text)
