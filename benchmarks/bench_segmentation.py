"""Benchmark: the whole `dbt build` (data layer + segmentation + marts) per stage, with quality.

    python benchmarks/bench_segmentation.py [--sizes 100000 1000000] [--runs 1]

The build runs as two processes, the data layer (up to user_features) and then the rest
(segmentation and segment marts), so each stage has its own wall time and peak RSS; within the
second, dbt's run_results.json splits the time into fit, unpack, marts and tests. ARI compares
the segments with the demo's planted truth.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import time
from pathlib import Path

import duckdb
from bench_data_layer import DATA_LAYER
from harness import (
    BIN,
    dbt_build_command,
    generate_command,
    measure,
    scratch_warehouse,
    write_section,
)
from sklearn.metrics import adjusted_rand_score

from segscope.report.chromium import CHROMIUM, launch

STAGES = {
    "segmentation_fit": "fit",
    "segmentation_explainer": "explain",
    "segmentation_stability_checks": "stability",
    "segmentation_input": "data layer",
    "segment_exports": "export",
}
# everything after the data layer: the Python models, the marts, and what only they read
SEGMENTATION_LAYER = ("segmentation_input+", "segment_labels", "stg_product__items")
SEGMENTATION_STAGES = ("fit", "explain", "stability", "unpack", "segment marts", "export",
                       "tests")


def stage_of(result: dict) -> str:
    unique_id = result["unique_id"]
    kind, name = unique_id.split(".")[0], unique_id.split(".")[2]
    if kind in ("test", "unit_test"):
        return "tests"
    if name in STAGES:
        return STAGES[name]
    if name.startswith("segmentation_"):
        return "unpack"
    if name.startswith("segment_") or name in ("segments", "user_segments"):
        return "segment marts"
    return "data layer"


def quality(db: str) -> tuple[float, float, int]:
    with duckdb.connect(db, read_only=True) as con:
        frame = con.sql(
            "select top_segment_id, segment_id, persona, sub_persona from user_segments "
            "join raw.persona_truth using (user_id) where not persona_truth.is_outlier"
        ).df()
        (n_leaves,), = con.sql("select count(*) from segments where is_leaf").fetchall()
    return (adjusted_rand_score(frame.persona, frame.top_segment_id),
            adjusted_rand_score(frame.sub_persona, frame.segment_id), n_leaves)


def report_command(db: str, page: Path) -> list[str]:
    return [str(BIN / "segscope"), "report", "--db", db, "--out", str(page)]


def open_in_chromium(page: Path) -> float:
    """Seconds from navigation to the load event of the report in headless Chromium (NaN
    without Chromium: `make browser`)."""
    if not Path(CHROMIUM).exists():
        return float("nan")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        tab = browser.new_page()
        start = time.perf_counter()
        tab.goto(page.resolve().as_uri(), wait_until="load")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def bench(sizes: list[int], runs: int) -> list[dict]:
    rows = []
    for n_users in sizes:
        runs_of_size = []
        for run in range(runs):
            workdir, env = scratch_warehouse()
            db = env["SEGSCOPE_DB"]
            try:
                measure(generate_command(n_users, 42 + run, db), env)
                data_wall, data_rss = measure(
                    dbt_build_command(workdir, *DATA_LAYER), env)
                seg_wall, seg_rss = measure(dbt_build_command(
                    workdir, "--select", *SEGMENTATION_LAYER), env)
                wall, rss = data_wall + seg_wall, max(data_rss, seg_rss)
                stages: dict[str, float] = {}
                results = json.loads((workdir / "target" / "run_results.json").read_text())
                for result in results["results"]:
                    stage = stage_of(result)
                    stages[stage] = stages.get(stage, 0.0) + result["execution_time"]
                top_ari, leaf_ari, n_leaves = quality(db)
                page = workdir / "report.html"
                report_wall, _ = measure(report_command(db, page), env)
                report_mib = page.stat().st_size / 2**20
                open_seconds = open_in_chromium(page)
            finally:
                shutil.rmtree(workdir, ignore_errors=True)
            runs_of_size.append({"wall": wall, "rss": rss, "data_wall": data_wall,
                                 "data_rss": data_rss, "seg_wall": seg_wall, "seg_rss": seg_rss,
                                 "stages": stages, "top_ari": top_ari, "leaf_ari": leaf_ari,
                                 "leaves": n_leaves, "report_wall": report_wall,
                                 "report_mib": report_mib, "open_seconds": open_seconds})
            print(f"  {n_users:>9,} users, run {run + 1}/{runs}: data layer {data_wall:6.1f} s, "
                  f"segmentation {seg_wall:6.1f} s, "
                  f"peak RSS {rss:,.0f} MiB, top ARI {top_ari:.3f}, leaf ARI {leaf_ari:.3f}, "
                  f"stages {json.dumps({k: round(v, 1) for k, v in stages.items()})}, "
                  f"report {report_wall:.1f} s ({report_mib:.2f} MiB, opens in "
                  f"{open_seconds:.2f} s)", flush=True)
        median = {key: statistics.median(r[key] for r in runs_of_size)
                  for key in ("wall", "rss", "data_wall", "data_rss", "seg_wall", "seg_rss",
                              "top_ari", "leaf_ari", "leaves", "report_wall", "report_mib",
                              "open_seconds")}
        median["stages"] = {
            stage: statistics.median(r["stages"].get(stage, 0.0) for r in runs_of_size)
            for stage in SEGMENTATION_STAGES
        }
        rows.append({"users": n_users, **median})
    return rows


def report(rows: list[dict], runs: int) -> str:
    lines = [
        "## Segmentation: the whole `dbt build`, per stage",
        "",
        f"Median of {runs} run(s) per size. The build runs as two processes, each with its own "
        f"wall time and peak RSS: the data layer (`--select +feature_catalog`, with its gates) "
        f"and the segmentation (`--select {' '.join(SEGMENTATION_LAYER)}`: the Python fit, "
        f"the explainer, the stability checks, the unpack models, the segment marts, their "
        f"Parquet export and their tests); the segmentation's time is split further "
        f"by dbt's per-node execution times. ARI: planted persona vs top-level segment, planted "
        f"sub-persona vs leaf, over users not planted as outliers. Machine: {os.cpu_count()} "
        f"cores, CPython {platform.python_version()}, measured {dt.date.today().isoformat()}. "
        f"Reproduce: `make bench-segmentation`.",
        "",
        "| users | whole build | peak RSS | data layer (RSS) | segmentation (RSS) | "
        + " | ".join(SEGMENTATION_STAGES) + " | top ARI | leaf ARI | leaves |",
        "|---:|---:|---:|---:|---:|" + "---:|" * len(SEGMENTATION_STAGES) + "---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['users']:,} | {r['wall']:.1f} s | {r['rss']:,.0f} MiB "
            f"| {r['data_wall']:.1f} s ({r['data_rss']:,.0f} MiB) "
            f"| {r['seg_wall']:.1f} s ({r['seg_rss']:,.0f} MiB) | "
            + " | ".join(f"{r['stages'][s]:.1f} s" for s in SEGMENTATION_STAGES)
            + f" | {r['top_ari']:.3f} | {r['leaf_ari']:.3f} | {r['leaves']:.0f} |"
        )
    lines += [
        "",
        "The report (`segscope report`, one HTML file) after each build: the time to write it "
        "(a separate process: read the marts, draw, write), its size, and the time headless "
        "Chromium takes from navigation to the load event.",
        "",
        "| users | write the report | size | open in Chromium |",
        "|---:|---:|---:|---:|",
    ]
    lines += [f"| {r['users']:,} | {r['report_wall']:.1f} s | {r['report_mib']:.2f} MiB "
              f"| {r['open_seconds']:.2f} s |" for r in rows]
    if len(rows) > 1:
        small, large = rows[0], rows[-1]
        cost = {r["users"]: r["stages"]["explain"] + r["stages"]["stability"] for r in (small,
                                                                                        large)}
        lines += [
            "",
            f"Explanations and stability (surrogates, SHAP, bootstrap, seed and cohort refits: "
            f"bounded samples) at {large['users']:,} users cost "
            f"{cost[large['users']] / cost[small['users']]:.2f}x what they cost at "
            f"{small['users']:,} ({cost[large['users']]:.1f} s vs {cost[small['users']]:.1f} s, "
            f"dbt's execution time of the two models, reading their inputs included).",
        ]
    return "\n".join(lines)


# the demo's signups run from February to late May: a fit on the users eligible by April leaves
# about half of them to be scored in apply mode
EARLY_AS_OF = "2026-04-01"
APPLY_NODES = ("segmentation_fit", "segmentation_explainer", "segmentation_stability_checks",
               "segmentation_scores", "segment_scores")


def bench_apply(n_users: int) -> dict:
    """Fit on the users eligible by EARLY_AS_OF, then build again in apply mode with everyone
    eligible: the wall time of that build, and dbt's time for the scoring models."""
    workdir, env = scratch_warehouse()
    db = env["SEGSCOPE_DB"]
    try:
        measure(generate_command(n_users, 42, db), env)
        early = ["--vars", json.dumps({"segscope_as_of": EARLY_AS_OF})]
        measure(dbt_build_command(workdir, *early), env)
        wall, rss = measure(dbt_build_command(
            workdir, "--vars", json.dumps({"segscope_mode": "apply"})), env)
        results = json.loads((workdir / "target" / "run_results.json").read_text())
        nodes = {r["unique_id"].split(".")[2]: r["execution_time"] for r in results["results"]
                 if r["unique_id"].startswith("model.")}
        with duckdb.connect(db, read_only=True) as con:
            (n_scored,), = con.sql("select count(*) from segment_scores").fetchall()
            (n_fitted,), = con.sql("select count(*) from segmentation_assignments").fetchall()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return {"users": n_users, "fitted": n_fitted, "scored": n_scored, "wall": wall, "rss": rss,
            "nodes": {name: nodes.get(name, float("nan")) for name in APPLY_NODES}}


def report_apply(row: dict) -> str:
    nodes = row["nodes"]
    return "\n".join([
        "## Apply mode: scoring new users with the persisted fit",
        "",
        f"{row['users']:,} demo users; fitted on the {row['fitted']:,} eligible by "
        f"{EARLY_AS_OF} (`segscope_as_of`), then `dbt build --vars '{{segscope_mode: apply}}'` "
        f"with everyone eligible scored the other {row['scored']:,} without refitting. "
        f"Reproduce: `make bench-segmentation`.",
        "",
        "| new users scored | whole apply build | peak RSS | scoring (segmentation_scores) "
        "| segment_scores (incremental) | fit, explainer, checks (kept as they are) |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {row['scored']:,} | {row['wall']:.1f} s | {row['rss']:,.0f} MiB "
        f"| {nodes['segmentation_scores']:.1f} s | {nodes['segment_scores']:.1f} s "
        f"| {nodes['segmentation_fit']:.1f} s, {nodes['segmentation_explainer']:.1f} s, "
        f"{nodes['segmentation_stability_checks']:.1f} s |",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--apply-users", type=int, default=200_000,
                        help="demo users of the apply-mode run (about half are scored)")
    args = parser.parse_args()
    section = report(bench(args.sizes, args.runs), args.runs)
    print(section)
    write_section("bench_segmentation", section)
    section = report_apply(bench_apply(args.apply_users))
    print(section)
    write_section("bench_apply", section)


if __name__ == "__main__":
    main()
