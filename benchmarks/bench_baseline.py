"""Benchmark: segscope against a naive baseline on the same rows, and the fixed start-up cost.

    python benchmarks/bench_baseline.py [--sizes 20000 50000 100000 300000] [--runs 1]
        [--cap-minutes 30] [--startup-users 300] [--no-startup]

Per size, demo data is generated and the data layer built once with dbt, so both sides read the
same ``user_features`` rows. Each side then runs in its own process (wall time of the work, peak
RSS of the process):

* naive: segscope's preprocessing, then UMAP and HDBSCAN on ALL rows, the same recursion (depth,
  minimum segment size, silhouette gate), noise to its nearest cluster; then an XGBoost
  one-vs-rest surrogate per child of every split, trained on all the split's rows, and SHAP
  TreeExplainer on all of them;
* segscope: what the dbt Python models do, in process: ``fit_segmentation`` (the engine with the
  project's vars), ``explain_segmentation`` and ``check_stability``.

Numba compiles UMAP's and pynndescent's functions on their first call in a process; both sides
first call what they use once on a small slice (untimed), so the timings hold no compile cost.
A side that runs past the cap is killed and reported as "did not finish" at that size and
every larger one. Then the start-up cost: a tiny demo warehouse built three times (empty numba
cache, the same cache again, a new empty cache with dbt and the OS already warm), and the import
of the numeric libraries with an empty and with a warm cache.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_data_layer import DATA_LAYER
from harness import (
    ROOT,
    dbt_build_command,
    generate_command,
    measure,
    query,
    scratch_warehouse,
    write_section,
)

SIDES = ("naive", "segscope")
DEFAULT_NUMBA_CACHE = ROOT / ".cache" / "numba"
WARMUP_ROWS = 5000  # above umap's 4096-row threshold: its NN-descent is compiled too
IMPORTS = "import umap, pynndescent, hdbscan, shap, xgboost"
SEED = 42


# ------------------------------------------------------------------ the two sides (children)
def project_vars() -> dict:
    import yaml

    return yaml.safe_load((ROOT / "dbt_project.yml").read_text())["vars"]


def load(db: str) -> dict:
    import duckdb

    with duckdb.connect(db, read_only=True) as con:
        return {
            "features": con.sql("select * from user_features").df(),
            "catalog": con.sql("select * from feature_catalog").df(),
            "signups": con.sql(
                "select user_id, signed_up_at from int_users__observation_windows").df(),
            "truth": con.sql(
                "select user_id, persona, sub_persona, is_outlier from raw.persona_truth").df(),
        }


def quality(keys, leaf, truth) -> tuple[float, float, int]:
    """ARI of planted persona vs top-level segment and planted sub-persona vs leaf, over the
    users not planted as outliers (as bench_segmentation.quality); and the number of leaves."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import adjusted_rand_score

    leaf = np.asarray(leaf, dtype=str)
    frame = pd.DataFrame({"user_id": np.asarray(keys), "leaf": leaf,
                          "top": [s.split(".")[0] for s in leaf]})
    frame = frame.merge(truth, on="user_id")
    frame = frame[~frame["is_outlier"].astype(bool)]
    return (float(adjusted_rand_score(frame["persona"], frame["top"])),
            float(adjusted_rand_score(frame["sub_persona"], frame["leaf"])),
            int(len(set(leaf))))


def naive(features, catalog, params: dict, explanation: dict, clock: dict) -> dict:
    """UMAP + HDBSCAN on every row of every node, then surrogates and SHAP on every row."""
    import hdbscan
    import numpy as np
    import shap
    import umap
    from xgboost import XGBClassifier

    from segscope.segmentation._validation import derive_seed
    from segscope.segmentation.clusterers import _small_to_noise
    from segscope.segmentation.diagnostics import NOISE, SilhouetteSample
    from segscope.segmentation.hierarchy import splits_of
    from segscope.segmentation.preprocess import Preprocessor
    from segscope.segmentation.tree import ROOT as TREE_ROOT
    from segscope.segmentation.tree import _child_id, _input_quality, _nearest_cluster
    from segscope.warehouse import catalog_for, in_key_order

    def tick(stage: str, start: float) -> float:
        now = time.perf_counter()
        clock[stage] = clock.get(stage, 0.0) + now - start
        return now

    p, seed = params, params["random_state"]
    key = p["key"]
    t = time.perf_counter()
    features = in_key_order(features, key)
    pre = Preprocessor(catalog=catalog_for(features, catalog, key), key=key,
                       outlier_policy=p["outlier_policy"], outlier_quantile=p["outlier_quantile"],
                       rare_level_share=p["rare_level_share"], max_levels=p["max_levels"])
    Z = pre.fit(features).transform(features).to_numpy(dtype=np.float64)
    n = len(Z)
    min_size = max(int(p["min_child_size"]), math.ceil(p["min_segment_share"] * n))
    leaf = np.full(n, "", dtype=object)
    counts = {"umap_fits": 0, "umap_rows": 0, "nodes_split": 0}
    t = tick("preprocess", t)

    queue = [(TREE_ROOT, 0, np.arange(n))]
    while queue:
        node, depth, rows = queue.pop(0)
        if depth >= p["max_depth"] or len(rows) < 2 * min_size:
            leaf[rows] = "1" if node == TREE_ROOT else node
            continue
        node_seed = derive_seed(seed, node)
        embedding = umap.UMAP(
            n_components=p["umap_n_components"], n_neighbors=p["umap_n_neighbors"],
            min_dist=p["umap_min_dist"], n_epochs=p["umap_n_epochs"], random_state=node_seed,
        ).fit_transform(Z[rows])
        counts["umap_fits"] += 1
        counts["umap_rows"] += len(rows)
        t = tick("umap", t)
        mcs = max(5, math.ceil(p["hdbscan_min_cluster_share"] * len(rows)), min_size)
        samples = p["hdbscan_min_samples"] or min(mcs, 25)
        labels = hdbscan.HDBSCAN(min_cluster_size=mcs, min_samples=samples).fit(embedding).labels_
        labels = _small_to_noise(labels, min_size)
        k = int(labels.max()) + 1
        split = k >= 2
        if split:  # the tree's quality gate, measured the same way (input space, bounded)
            silhouette = SilhouetteSample(Z[rows], int(p["null_sample_size"]),
                                          derive_seed(node_seed, "sil_in"))
            split = _input_quality(silhouette, labels) >= p["split_min_silhouette"]
        if not split:
            leaf[rows] = "1" if node == TREE_ROOT else node
            t = tick("hdbscan", t)
            continue
        noise = labels == NOISE
        if noise.any():
            labels[noise], _ = _nearest_cluster(embedding, labels, int(p["n_neighbors"]))
        counts["nodes_split"] += 1
        queue += [(_child_id(node, j + 1), depth + 1, rows[labels == j]) for j in range(k)]
        t = tick("hdbscan", t)

    leaf = leaf.astype(str)
    counts["surrogates"] = counts["shap_rows"] = 0
    importances = []  # mean |SHAP| per feature over each child's members
    for split in splits_of(leaf):
        Zs = Z[split.rows]
        for j in range(len(split.child_ids)):
            target = (split.child == j).astype(np.int32)
            model = XGBClassifier(
                n_estimators=int(explanation["n_estimators"]),
                max_depth=int(explanation["max_depth"]),
                learning_rate=float(explanation["learning_rate"]), tree_method="hist", n_jobs=2,
                random_state=derive_seed(seed, split.segment_id, j),
            ).fit(Zs, target)
            t = tick("surrogates", t)
            values = np.asarray(shap.TreeExplainer(model).shap_values(Zs), dtype=np.float64)
            members = target == 1
            importances.append({feature: float(np.abs(values[members][:, cols].sum(axis=1)).mean())
                                for feature, cols in pre.feature_groups_})
            counts["surrogates"] += 1
            counts["shap_rows"] += len(Zs)
            t = tick("shap", t)
    counts["explained"] = len(importances)
    return {"keys": features[key].to_numpy(), "leaf": leaf, "counts": counts}


def segscope_side(data: dict, variables: dict, clock: dict) -> dict:
    """What the dbt Python models segmentation_fit, _explainer and _stability_checks do."""
    from segscope.warehouse import (
        check_stability,
        explain_segmentation,
        fit_segmentation,
        load_result,
    )

    t = time.perf_counter()
    fit = fit_segmentation(data["features"], data["catalog"], variables["segscope_segmentation"])
    clock["fit"] = time.perf_counter() - t
    t = time.perf_counter()
    explain_segmentation(fit, data["features"], variables["segscope_explanation"])
    clock["explain"] = time.perf_counter() - t
    t = time.perf_counter()
    check_stability(fit, data["features"], data["signups"], variables["segscope_stability"])
    clock["stability"] = time.perf_counter() - t
    _, result = load_result(fit)
    assignments = result.assignments
    return {"keys": assignments["user_id"].to_numpy(), "leaf": assignments["segment_id"],
            "counts": {"fit_sample": int(assignments["in_fit_sample"].sum())}}


def warm_up(side: str, data: dict, params: dict, variables: dict) -> None:
    """Untimed: the first call of every compiled path in this process. naive: UMAP on
    WARMUP_ROWS rows (NN-descent, as on large nodes) and on 1,000 (exact neighbours, as on small
    ones), HDBSCAN, XGBoost and SHAP; segscope: its whole pipeline on WARMUP_ROWS rows."""
    head = data["features"].sort_values("user_id").head(WARMUP_ROWS)
    if side == "segscope":
        segscope_side({**data, "features": head}, variables, {})
        return
    import hdbscan
    import shap
    import umap
    from xgboost import XGBClassifier

    from segscope.segmentation.preprocess import Preprocessor
    from segscope.warehouse import catalog_for

    pre = Preprocessor(catalog=catalog_for(head, data["catalog"], params["key"]), key=params["key"])
    Z = pre.fit(head).transform(head).to_numpy()
    for rows in (len(Z), min(len(Z), 1000)):
        embedding = umap.UMAP(
            n_components=params["umap_n_components"], n_neighbors=params["umap_n_neighbors"],
            min_dist=params["umap_min_dist"], random_state=0).fit_transform(Z[:rows])
        labels = hdbscan.HDBSCAN(min_cluster_size=50, min_samples=25).fit(embedding).labels_
    target = (labels[:1000] == labels.max()).astype("int32")
    model = XGBClassifier(n_estimators=10, tree_method="hist", n_jobs=2).fit(Z[:1000], target)
    shap.TreeExplainer(model).shap_values(Z[:1000])


def run_side(side: str, db: str, out: str) -> None:
    """The child process: load, warm up (untimed), run timed, write JSON."""
    import warnings

    from segscope.segmentation.pipeline import resolve_params

    warnings.filterwarnings("ignore")  # umap: "n_jobs overridden by setting random_state"
    variables = project_vars()
    params = resolve_params(variables["segscope_segmentation"])
    data = load(db)
    start = time.perf_counter()
    warm_up(side, data, params, variables)
    warmup = time.perf_counter() - start
    clock: dict[str, float] = {}
    Path(out + ".started").write_text(str(time.time()))  # for a lower bound if it is killed
    start = time.perf_counter()
    if side == "naive":
        result = naive(data["features"], data["catalog"], params,
                       variables["segscope_explanation"], clock)
    else:
        result = segscope_side(data, variables, clock)
    wall = time.perf_counter() - start
    top_ari, leaf_ari, leaves = quality(result["keys"], result["leaf"], data["truth"])
    Path(out).write_text(json.dumps({
        "wall": wall, "stages": clock, "warmup": warmup, "rows": len(data["features"]),
        "top_ari": top_ari, "leaf_ari": leaf_ari, "leaves": leaves, "counts": result["counts"],
    }))


# ------------------------------------------------------------------------- the parent
def run_capped(command: list[str], env: dict[str, str], cap: float) -> tuple[float, float] | None:
    """Like harness.measure, but the process (and its helpers) is killed after ``cap`` seconds:
    then None. Returns (wall seconds, peak RSS in MiB: the process or a helper it reaped)."""
    with tempfile.TemporaryFile() as output:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > cap:
                os.killpg(process.pid, signal.SIGKILL)
                os.wait4(process.pid, 0)
                return None
            time.sleep(0.2)
        wall = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            output.seek(0)
            raise SystemExit(f"failed: {' '.join(command)}\n{output.read().decode()[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def bench(sizes: list[int], runs: int, cap: float, env_base: dict[str, str]) -> list[dict]:
    rows, finished = [], dict.fromkeys(SIDES, True)
    for n_users in sizes:
        workdir, env = scratch_warehouse()
        env = {**env, **env_base}
        db = env["SEGSCOPE_DB"]
        row: dict = {"users": n_users}
        try:
            measure(generate_command(n_users, SEED, db), env)
            measure(dbt_build_command(workdir, *DATA_LAYER), env)
            (row["rows"],), = query(db, "select count(*) from user_features")
            samples: dict[str, list] = {side: [] for side in SIDES}
            for run in range(runs):  # the sides alternate, so load drifts hit both alike
                for side in (x for x in SIDES if finished[x]):
                    out = workdir / f"{side}.json"
                    measured = run_capped([sys.executable, __file__, "--side", side, "--db", db,
                                           "--out", str(out)], env, cap)
                    if measured is None:
                        started = Path(f"{out}.started")
                        if started.exists():  # the work alone ran at least this long
                            row[f"{side}_bound"] = time.time() - float(started.read_text())
                        print(f"  {n_users:>9,} users, {side}: did not finish in "
                              f"{cap / 60:g} min (work: > {row.get(f'{side}_bound', 0):.0f} s)",
                              flush=True)
                        finished[side] = False
                        continue
                    sample = json.loads(out.read_text())
                    sample["process_wall"], sample["rss"] = measured
                    samples[side].append(sample)
                    print(f"  {n_users:>9,} users, {side} run {run + 1}/{runs}: "
                          f"{sample['wall']:7.1f} s (process {measured[0]:.1f} s, warm-up "
                          f"{sample['warmup']:.1f} s), peak RSS {measured[1]:,.0f} MiB, top ARI "
                          f"{sample['top_ari']:.3f}, leaf ARI {sample['leaf_ari']:.3f}, leaves "
                          f"{sample['leaves']}, stages "
                          f"{json.dumps({k: round(v, 1) for k, v in sample['stages'].items()})}, "
                          f"{json.dumps(sample['counts'])}", flush=True)
            for side in SIDES:
                row[side] = summarise(samples[side]) if finished[side] else None
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        rows.append(row)
    return rows


def summarise(samples: list[dict]) -> dict:
    out = {key: statistics.median(s[key] for s in samples)
           for key in ("wall", "process_wall", "warmup", "rss", "top_ari", "leaf_ari", "leaves")}
    out["stages"] = {stage: statistics.median(s["stages"].get(stage, 0.0) for s in samples)
                     for stage in samples[0]["stages"]}
    out["counts"] = samples[0]["counts"]
    return out


def startup(n_users: int, env_base: dict[str, str]) -> dict:
    """The fixed cost: import of the numeric libraries and a whole `dbt build` of a tiny
    warehouse, with an empty numba cache and with a warm one."""
    workdir, env = scratch_warehouse()
    env = {**env, **env_base}
    out = {}
    try:
        env["NUMBA_CACHE_DIR"] = str(workdir / "numba-imports")
        command = [sys.executable, "-c", IMPORTS]
        out["import_cold"] = measure(command, env)
        out["import_warm"] = measure(command, env)
        measure(generate_command(n_users, SEED, env["SEGSCOPE_DB"]), env)
        (out["rows"],), = query(env["SEGSCOPE_DB"], "select count(*) from raw.users")
        env["NUMBA_CACHE_DIR"] = str(workdir / "numba-build")
        out["build_cold"] = measure(dbt_build_command(workdir), env)
        out["build_warm"] = measure(dbt_build_command(workdir), env)
        env["NUMBA_CACHE_DIR"] = str(workdir / "numba-build-again")
        out["build_numba_cold"] = measure(dbt_build_command(workdir), env)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for step in ("import_cold", "import_warm", "build_cold", "build_warm", "build_numba_cold"):
        print(f"  start-up, {step}: {out[step][0]:.1f} s, peak RSS {out[step][1]:,.0f} MiB",
              flush=True)
    return out


# ------------------------------------------------------------------------- the report
def fmt_side(r: dict | None, bound: float | None = None) -> str:
    if r is None:
        return f"did not finish{f' (> {bound:.0f} s)' if bound else ''} | | | |"
    return (f"{r['wall']:.1f} s | {r['rss']:,.0f} MiB | {r['top_ari']:.3f} / {r['leaf_ari']:.3f} "
            f"| {r['leaves']:.0f} |")


def command_line(args) -> str:
    parts = ["python benchmarks/bench_baseline.py", "--sizes", *map(str, args.sizes),
             "--runs", str(args.runs), "--cap-minutes", f"{args.cap_minutes:g}"]
    parts += ["--no-startup"] if args.no_startup else ["--startup-users", str(args.startup_users)]
    return " ".join(parts)


def report(rows: list[dict], start: dict | None, args, loadavg: tuple, omp: str) -> str:
    cap, runs = args.cap_minutes, args.runs
    lines = [
        "## Baseline: segscope vs naive UMAP + HDBSCAN + SHAP on all rows",
        "",
        f"Same `user_features` rows on both sides (demo data, seed {SEED}, the data layer built "
        f"once with dbt per size). Each side runs in its own process; wall is the median of "
        f"{runs} run(s) of the work alone (data already loaded), peak RSS the whole process's. "
        f"**naive**: segscope's preprocessing (the same Preprocessor and catalog), then "
        f"`umap.UMAP` (5 components, 15 neighbours, min_dist 0, random_state) and "
        f"`hdbscan.HDBSCAN` (min_cluster_size 2% of the node, min_samples min(that, 25), "
        f"library defaults otherwise) on ALL rows of every node, the same recursion (max_depth "
        f"3; children of at least max(50, 1% of users); a split must pass the tree's silhouette "
        f"gate; noise joins its nearest cluster), then one XGBoost one-vs-rest surrogate per "
        f"child of every split (the project's 200 trees, depth 4) trained on ALL the split's "
        f"rows and `shap.TreeExplainer` on ALL of them; it skips the null-reference and "
        f"stability refits and computes no stability checks, which only makes it faster. "
        f"**segscope**: what the dbt Python models run, in process: `fit_segmentation` with the "
        f"project's vars (PCA, auto clusterer, fit on at most 50,000 users and the rest scored), "
        f"`explain_segmentation` and `check_stability` (bounded samples). Numba: "
        f"NUMBA_CACHE_DIR is `.cache/numba` as in the Makefile, and each process first warms "
        f"up, untimed (naive: UMAP on {WARMUP_ROWS:,} and on 1,000 rows, HDBSCAN, XGBoost, "
        f"SHAP; segscope: its whole pipeline on {WARMUP_ROWS:,} rows), so no JIT compilation "
        f"is inside either timing (the warm-up seconds are listed below). Both sides (and "
        f"the start-up builds) run with OMP_WAIT_POLICY={omp}: XGBoost's and scikit-learn's "
        f"OpenMP threads otherwise spin while they wait, and on a shared 2-core machine one "
        f"XGBoost fit with n_jobs=2 then took 3 to 30 times as long as with n_jobs=1. A side "
        f"still running after {cap:g} min is killed: that size and every larger one are "
        f"\"did not finish\". "
        f"ARI: planted persona vs top-level segment / planted sub-persona vs leaf, users not "
        f"planted as outliers. Machine: {os.cpu_count()} cores, CPython "
        f"{platform.python_version()}, load average {loadavg[0]:.1f} at the start and "
        f"{loadavg[1]:.1f} at the end (shared machine: other work ran at the same time), measured "
        f"{dt.date.today().isoformat()}. Reproduce: `make bench-baseline` "
        f"(`{command_line(args)}`).",
        "",
        "| users | rows | naive wall | naive peak RSS | naive top / leaf ARI | naive leaves "
        "| segscope wall | segscope peak RSS | segscope top / leaf ARI | segscope leaves "
        "| naive / segscope |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        nv, sg = r.get("naive"), r.get("segscope")
        ratio = "n/a"
        if nv and sg:
            ratio = f"{nv['wall'] / sg['wall']:.1f}x"
        elif sg and r.get("naive_bound"):
            ratio = f"> {r['naive_bound'] / sg['wall']:.1f}x"
        lines.append(f"| {r['users']:,} | {r.get('rows', 0):,} "
                     f"| {fmt_side(nv, r.get('naive_bound'))} {fmt_side(sg)} {ratio} |")
    lines += [
        "",
        "Where the time goes (median seconds per stage; warm-up: the untimed first calls, JIT "
        "compilation or loading it from the numba cache included; process: the whole child, "
        "imports, loading the tables and warm-up included):",
        "",
        "| users | naive: preprocess | UMAP (fits, rows) | HDBSCAN | surrogates | SHAP (rows) "
        "| warm-up | process | segscope: fit | explain | stability | warm-up | process |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        cells = [f"{r['users']:,}"]
        nv, sg = r.get("naive"), r.get("segscope")
        if nv:
            s, c = nv["stages"], nv["counts"]
            cells += [f"{s.get('preprocess', 0):.1f}",
                      f"{s.get('umap', 0):.1f} ({c['umap_fits']}, {c['umap_rows']:,})",
                      f"{s.get('hdbscan', 0):.1f}", f"{s.get('surrogates', 0):.1f}",
                      f"{s.get('shap', 0):.1f} ({c['shap_rows']:,})", f"{nv['warmup']:.1f}",
                      f"{nv['process_wall']:.1f}"]
        else:
            cells += ["did not finish"] + [""] * 6
        if sg:
            s = sg["stages"]
            cells += [f"{s['fit']:.1f}", f"{s['explain']:.1f}", f"{s['stability']:.1f}",
                      f"{sg['warmup']:.1f}", f"{sg['process_wall']:.1f}"]
        else:
            cells += ["did not finish"] + [""] * 4
        lines.append("| " + " | ".join(cells) + " |")
    both = [r for r in rows if r.get("naive") and r.get("segscope")]
    lines.append("")
    if both:
        r = both[-1]
        ratio = r["naive"]["wall"] / r["segscope"]["wall"]
        verdict = (f"{ratio:.1f}x faster" if ratio >= 1
                   else f"{1 / ratio:.1f}x slower (naive / segscope {ratio:.2f})")
        lines.append(
            f"**At the largest size both finish ({r['users']:,} users, {r['rows']:,} rows), "
            f"segscope is {verdict}** ({r['segscope']['wall']:.1f} s vs "
            f"{r['naive']['wall']:.1f} s; peak RSS {r['segscope']['rss']:,.0f} vs "
            f"{r['naive']['rss']:,.0f} MiB). The 10x target is "
            f"{'met' if ratio >= 10 else 'NOT met'} at that size.")
    else:
        lines.append("No size finished on both sides.")
    bounded = [r for r in rows if r.get("segscope") and r.get("naive_bound")]
    if bounded:
        r = bounded[0]
        lines += [
            "",
            f"At {r['users']:,} users the naive baseline was killed after its work had run "
            f"{r['naive_bound']:.0f} s (cap {cap:g} min for the whole process), so there "
            f"segscope ({r['segscope']['wall']:.1f} s) is more than "
            f"{r['naive_bound'] / r['segscope']['wall']:.1f}x faster; larger sizes were not "
            f"tried for it.",
        ]
    if start:
        b_cold, b_warm, b_numba = (start[k][0] for k in ("build_cold", "build_warm",
                                                          "build_numba_cold"))
        lines += [
            "",
            "### Start-up: the fixed cost of a build, numba cache cold and warm",
            "",
            f"A whole `dbt build` (every model and test) of a {start['rows']:,}-user demo "
            f"warehouse, so the time is almost all fixed cost: first with an empty "
            f"NUMBA_CACHE_DIR, then again with the same cache (the \"second build\"), then once "
            f"more with a new empty cache while dbt's partial parse and the OS file cache stay "
            f"warm (the difference from the second build is what the numba cache saves). And "
            f"`python -c \"{IMPORTS}\"` with an empty and with a warm cache. Each a separate "
            f"process, one run. Reproduce: `make bench-baseline`.",
            "",
            "| step | wall | peak RSS |",
            "|---|---:|---:|",
            f"| `python -c \"{IMPORTS}\"`, empty numba cache | {start['import_cold'][0]:.1f} s "
            f"| {start['import_cold'][1]:,.0f} MiB |",
            f"| the same, warm cache | {start['import_warm'][0]:.1f} s "
            f"| {start['import_warm'][1]:,.0f} MiB |",
            f"| first `dbt build`, empty numba cache | {b_cold:.1f} s "
            f"| {start['build_cold'][1]:,.0f} MiB |",
            f"| second `dbt build`, warm numba cache | {b_warm:.1f} s "
            f"| {start['build_warm'][1]:,.0f} MiB |",
            f"| third `dbt build`, new empty numba cache | {b_numba:.1f} s "
            f"| {start['build_numba_cold'][1]:,.0f} MiB |",
            "",
            f"The warm second build costs {b_warm:.1f} s; the numba cache saves "
            f"{b_numba - b_warm:.1f} s of it per build (import: "
            f"{start['import_cold'][0] - start['import_warm'][0]:.1f} s).",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+",
                        default=[20_000, 50_000, 100_000, 300_000])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--cap-minutes", type=float, default=30.0,
                        help="a side still running after this is killed (did not finish)")
    parser.add_argument("--startup-users", type=int, default=300)
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up cost")
    parser.add_argument("--side", choices=SIDES, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        run_side(args.side, args.db, args.out)
        return
    env_base = {"NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(DEFAULT_NUMBA_CACHE)),
                "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive")}
    load_start = os.getloadavg()[0]
    rows = bench(sorted(args.sizes), args.runs, args.cap_minutes * 60, env_base)
    start = None if args.no_startup else startup(args.startup_users, env_base)
    section = report(rows, start, args, (load_start, os.getloadavg()[0]),
                     env_base["OMP_WAIT_POLICY"])
    print(section)
    write_section("bench_baseline", section)


if __name__ == "__main__":
    main()
