"""Benchmark: demo data generation and the data-layer `dbt build`, wall time and peak RSS.

    python benchmarks/bench_data_layer.py [--sizes 100000 1000000] [--runs 3]

Each step runs as its own process, timed from outside; peak RSS is that process's own maximum
resident set. Medians over the runs are printed and written to BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics

from harness import (
    dbt_build_command,
    generate_command,
    measure,
    query,
    scratch_warehouse,
    write_section,
)

# cautious: leave out the tests that also read segment tables
DATA_LAYER = ["--select", "+feature_catalog", "--indirect-selection", "cautious"]


def bench(sizes: list[int], runs: int) -> list[dict]:
    rows = []
    for n_users in sizes:
        samples = {"generate": [], "dbt": []}
        for run in range(runs):
            workdir, env = scratch_warehouse()
            db = env["SEGSCOPE_DB"]
            try:
                samples["generate"].append(measure(generate_command(n_users, run, db), env))
                samples["dbt"].append(measure(dbt_build_command(workdir, *DATA_LAYER), env))
                (n_events,), = query(db, "select count(*) from raw.events")
                (n_features,), = query(db, "select count(*) from user_features")
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            print(f"  {n_users:>9,} users, run {run + 1}/{runs}: generate "
                  f"{samples['generate'][-1][0]:6.1f} s, dbt build {samples['dbt'][-1][0]:6.1f} s",
                  flush=True)
        row = {"users": n_users, "events": n_events, "feature_rows": n_features}
        for step, values in samples.items():
            row[f"{step}_s"] = statistics.median(v[0] for v in values)
            row[f"{step}_rss"] = statistics.median(v[1] for v in values)
        rows.append(row)
    return rows


def report(rows: list[dict], runs: int) -> str:
    lines = [
        "## Data layer: demo generation + `dbt build` up to user_features",
        "",
        f"Median of {runs} runs per size, each step a separate process; peak RSS is that "
        f"process's own. Machine: {os.cpu_count()} cores, CPython {platform.python_version()}, "
        f"measured {dt.date.today().isoformat()}. Reproduce: `make bench-data-layer`.",
        "",
        "| users | events (raw) | user_features rows | generate wall | generate peak RSS "
        "| dbt build wall | dbt build peak RSS | total wall |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['users']:,} | {r['events']:,} | {r['feature_rows']:,} | {r['generate_s']:.1f} s "
            f"| {r['generate_rss']:,.0f} MiB | {r['dbt_s']:.1f} s | {r['dbt_rss']:,.0f} MiB "
            f"| {r['generate_s'] + r['dbt_s']:.1f} s |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    section = report(bench(args.sizes, args.runs), args.runs)
    print(section)
    write_section("bench_data_layer", section)


if __name__ == "__main__":
    main()
