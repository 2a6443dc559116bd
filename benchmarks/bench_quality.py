"""Benchmark: segscope's segments against planted labels, next to the baselines a user would
otherwise pick, on a suite of labelled data sets and null controls.

    python benchmarks/bench_quality.py [--only digits iris] [--methods segscope gmm_bic]
        [--seeds 5] [--size 0.5] [--jobs 2] [--no-write] [--segscope-params '{"reducer":"umap"}']

Each seed is a fresh draw of the data set (a random 90% of a real table's rows); segscope and
every baseline run in the same process on the same rows (segscope.quality.runner). The table
goes to BENCHMARKS.md (section bench_quality) with the must-show checks as pass / fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from harness import write_section

from segscope.quality.baselines import BASELINES, UMAP_COMPONENTS
from segscope.quality.criteria import (
    BASELINE_MARGIN,
    FLOORS,
    ROOT_AGREEMENT,
    best_baseline,
    checks,
    summarize,
)
from segscope.quality.datasets import LOADERS, REAL, default_size
from segscope.quality.runner import SEGSCOPE, run

METHODS = [SEGSCOPE, *BASELINES]
# the slow ones first, so that parallel workers finish together
COST_ORDER = ("event_personas_nested", "event_personas", "event_counts", "digits",
              "manifold_arcs")


def _single_threaded() -> None:
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def run_all(names, seeds, size, methods, params, jobs) -> list[dict]:
    tasks = sorted(((name, seed) for name in names for seed in range(seeds)),
                   key=lambda t: (t[0] not in COST_ORDER, COST_ORDER.index(t[0])
                                  if t[0] in COST_ORDER else 0))
    records = []

    def done(task, result):
        records.extend(result)
        own = [r for r in result if r["method"] == SEGSCOPE]
        line = (f"  {task[0]} seed {task[1]}: "
                + ", ".join(f"{r['method']} {r['leaf_ari']:.3f}" for r in result))
        if own:
            line += f" | segscope {own[0]['segments']} segments, {own[0]['seconds']:.1f} s"
        print(line, flush=True)

    if jobs <= 1:
        for task in tasks:
            done(task, run(*task, size, methods, params))
        return records
    with ProcessPoolExecutor(jobs, initializer=_single_threaded) as pool:
        futures = {task: pool.submit(run, *task, size, methods, params) for task in tasks}
        for task, future in futures.items():
            done(task, future.result())
    return records


def _ari(row) -> str:
    if row["leaf_min"] == row["leaf_max"]:
        return f"{row['leaf_median']:.3f}"
    return f"{row['leaf_median']:.3f} ({row['leaf_min']:.2f}–{row['leaf_max']:.2f})"


def _range(row, score: str) -> str:
    low, high = row[f"{score}_min"], row[f"{score}_max"]
    spread = "" if low == high else f" ({low:.2f}–{high:.2f})"
    return f"{row[f'{score}_median']:.3f}{spread}"


def _mark(value) -> str:
    return "–" if value is None else ("pass" if value else "**FAIL**")


def report(summary, verdicts, args, methods, seconds) -> str:
    baselines = [m for m in methods if m != SEGSCOPE]
    params = args.segscope_params or "{}"
    command = "make bench-quality" if not sys.argv[1:] else (
        "python benchmarks/bench_quality.py " + " ".join(sys.argv[1:]))
    lines = [
        "## Quality: segscope against planted labels and the usual baselines",
        "",
        f"`make bench-quality` (this run: `{command}`; segscope parameters `{params}`, "
        f"the defaults otherwise). {args.seeds} seed(s) per data set, each a fresh draw "
        f"(real tables: a random 90% of the rows); size {args.size or 'default'}. segscope "
        "is fitted in-process the way an own feature table is (`segment_users`, no catalog); "
        "the baselines run on the same rows after one preprocessing (log1p on non-negative "
        "columns with skew > 1, then standardised): KMeans with k = 2..12 by silhouette, "
        "GaussianMixture with k = 1..12 by BIC, HDBSCAN (min_cluster_size max(10, 1%)), "
        f"UMAP ({UMAP_COMPONENTS} dimensions) + HDBSCAN, and KMeans with the true k "
        "(oracle, never the best baseline). ARI: median over the seeds (min–max); top = a "
        "user's top-level segment vs the top labels, leaf = its leaf vs the finest labels "
        "(the same labels when not nested); every segment id, the outlier and noise "
        "segments included, and a baseline's noise label count as labels. Baseline cells "
        "are leaf ARI.",
        "",
        "| data set | kind | n | segscope top ARI | segscope leaf ARI | segments | root splits "
        "| segscope s | " + " | ".join(baselines) + " | best non-oracle |",
        "|---|---|---:|---:|---:|---:|---:|---:|" + "---:|" * len(baselines) + "---|",
    ]
    own = summary[summary["method"] == SEGSCOPE].set_index("dataset")
    for name in dict.fromkeys(summary["dataset"]):
        rows = summary[summary["dataset"] == name].set_index("method")
        first = rows.iloc[0]
        n = default_size(name) if name not in REAL else None
        n = f"{int(args.size) if args.size and args.size > 10 else n:,}" if n else "90%"
        cells = [name, first["kind"], n]
        if name in own.index:
            r = own.loc[name]
            segments = (f"{r['segments_median']:.0f}" if r["segments_min"] == r["segments_max"]
                        else f"{r['segments_median']:.0f} ({r['segments_min']:.0f}–"
                             f"{r['segments_max']:.0f})")
            cells += [_range(r, "top"), _range(r, "leaf"), segments,
                      f"{r['root_splits']:.0f}/{r['seeds']:.0f}", f"{r['seconds']:.1f}"]
        else:
            cells += ["–"] * 5
        cells += [_ari(rows.loc[m]) if m in rows.index else "–" for m in baselines]
        best = best_baseline(summary, name)
        cells.append(f"{best[0]} {best[1]:.3f}" if best else "–")
        lines.append("| " + " | ".join(cells) + " |")
    if not verdicts.empty:
        lines += [
            "",
            f"Checks (segscope, medians over the seeds): **vs best**: leaf ARI >= best "
            f"non-oracle baseline - {BASELINE_MARGIN} (structured data); **floor**: "
            + "; ".join(f"{name} " + ", ".join(f"{k.split('_')[0]} >= {v}"
                                                for k, v in floor.items())
                        for name, floor in FLOORS.items())
            + "; **no false split**: one segment on every seed (null controls); **root "
            f"stable**: the same root decision on >= {ROOT_AGREEMENT:.0%} of the seeds.",
            "",
            "| data set | vs best | floor | no false split | root stable |",
            "|---|---|---|---|---|",
        ]
        for _, v in verdicts.iterrows():
            lines.append(f"| {v['dataset']} | {_mark(v['vs_baseline'])} | {_mark(v['floor'])} "
                         f"| {_mark(v['no_false_split'])} | {_mark(v['root_stable'])} |")
        values = [x for x in verdicts[["vs_baseline", "floor", "no_false_split",
                                       "root_stable"]].to_numpy().ravel() if x is not None]
        lines += ["", f"{sum(values)} of {len(values)} checks pass."]
    timing = summary.pivot_table(index="dataset", columns="method", values="seconds",
                                 sort=False)
    lines += [
        "",
        "Median seconds per fit (one process"
        + (f", {args.jobs} in parallel, each single-threaded" if args.jobs > 1 else "")
        + f"; UMAP's first fit in a process includes numba's compile). Whole run "
        f"{seconds / 60:.1f} min on {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, measured {dt.date.today().isoformat()}.",
        "",
        "| data set | " + " | ".join(m for m in methods if m in timing.columns) + " |",
        "|---|" + "---:|" * len([m for m in methods if m in timing.columns]),
    ]
    for name, row in timing.iterrows():
        lines.append(f"| {name} | " + " | ".join(f"{row[m]:.1f}" for m in methods
                                                   if m in timing.columns) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(LOADERS), default=list(LOADERS),
                        metavar="DATASET", help="data sets (default: all): " + ", ".join(LOADERS))
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=METHODS)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--size", type=float, default=None,
                        help="users per synthetic data set (> 10) or a factor on its default")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--no-write", action="store_true", help="print, leave BENCHMARKS.md")
    parser.add_argument("--segscope-params", default=None,
                        help='JSON overrides of segscope\'s defaults, e.g. \'{"reducer":"umap"}\'')
    args = parser.parse_args()
    params = json.loads(args.segscope_params) if args.segscope_params else None
    if params is not None and not isinstance(params, dict):
        raise SystemExit("--segscope-params must be a JSON object")
    start = time.perf_counter()
    records = run_all(args.only, args.seeds, args.size, args.methods, params, args.jobs)
    seconds = time.perf_counter() - start
    summary = summarize(records)
    verdicts = checks(summary) if SEGSCOPE in args.methods else summary.iloc[0:0]
    section = report(summary, verdicts, args, args.methods, seconds)
    print(section)
    if not args.no_write:
        write_section("bench_quality", section)


if __name__ == "__main__":
    main()
