"""Benchmark: the whole project on local Spark against DuckDB, on the same demo data.

    python benchmarks/bench_spark.py [--users 1000000] [--shuffle-partitions 16]

One demo warehouse is generated in DuckDB. DuckDB builds it (`dbt build`, the default target);
then its raw tables are copied into Spark (`segscope spark load`) and Spark builds the same
project (`segscope spark build`: local[2], the Python models in dbt's own SparkSession). Each
step is its own process; wall time is the step's, and the peak RSS is that of the step's
largest process (on Spark the JVM is a child of the Python process: not the sum). Per stage,
dbt's run_results.json splits the builds; ARI compares each engine with the planted truth and
the two engines with each other.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
from harness import (
    BIN,
    dbt_build_command,
    generate_command,
    measure,
    scratch_warehouse,
    write_section,
)
from sklearn.metrics import adjusted_rand_score

STAGES = ("data layer", "fit", "explain", "stability", "unpack and score", "marts", "tests")


def stage_of(unique_id: str) -> str:
    kind, name = unique_id.split(".")[0], unique_id.split(".")[2]
    if kind in ("test", "unit_test"):
        return "tests"
    return {"segmentation_fit": "fit", "segmentation_explainer": "explain",
            "segmentation_stability_checks": "stability"}.get(
        name, "unpack and score" if name.startswith("segmentation_")
        else "marts" if name.startswith("segment") or name == "user_segments" or
        name == "user_segment_history" else "data layer")


def stages(target: Path) -> dict[str, float]:
    seconds = dict.fromkeys(STAGES, 0.0)
    for result in json.loads((target / "run_results.json").read_text())["results"]:
        seconds[stage_of(result["unique_id"])] += result["execution_time"]
    return seconds


def truth_ari(segments, truth) -> tuple[float, float]:
    frame = segments.merge(truth, on="user_id")
    frame = frame[~frame["is_outlier"].astype(bool)]
    return (adjusted_rand_score(frame["persona"], frame["top_segment_id"]),
            adjusted_rand_score(frame["sub_persona"], frame["segment_id"]))


def bench(n_users: int, partitions: int) -> dict:
    workdir, env = scratch_warehouse()
    db = env["SEGSCOPE_DB"]
    spark_dir = workdir / "spark"
    spark_env = {**env, "SEGSCOPE_SPARK_DIR": str(spark_dir),
                 "SEGSCOPE_SPARK_SHUFFLE_PARTITIONS": str(partitions)}
    row: dict = {"users": n_users}
    try:
        row["generate"], _ = measure(generate_command(n_users, 42, db), env)
        print(f"  generated {n_users:,} users in {row['generate']:.1f} s", flush=True)
        row["duckdb"], row["duckdb_rss"] = measure(
            dbt_build_command(workdir / "duckdb", "--target", "duckdb"), env)
        row["duckdb_stages"] = stages(workdir / "duckdb" / "target")
        print(f"  DuckDB build {row['duckdb']:.1f} s", flush=True)
        row["load"], _ = measure(
            [str(BIN / "segscope"), "spark", "load", "--db", db], spark_env)
        print(f"  loaded into Spark in {row['load']:.1f} s", flush=True)
        row["spark"], row["spark_rss"] = measure(
            [str(BIN / "segscope"), "spark", "build",
             "--target-path", str(workdir / "spark-target"), "--log-path", str(workdir)],
            spark_env)
        row["spark_stages"] = stages(workdir / "spark-target")
        print(f"  Spark build {row['spark']:.1f} s", flush=True)

        with duckdb.connect(db, read_only=True) as con:
            duck = con.sql("select user_id, segment_id, top_segment_id from user_segments").df()
            truth = con.sql("select user_id, persona, sub_persona, is_outlier "
                            "from raw.persona_truth").df()
        spark = pq.read_table(spark_dir / "tables" / "segscope.db" / "user_segments").to_pandas()
        row["duckdb_ari"] = truth_ari(duck, truth)
        row["spark_ari"] = truth_ari(spark[["user_id", "segment_id", "top_segment_id"]], truth)
        both = duck.merge(spark, on="user_id", suffixes=("_duckdb", "_spark"))
        row["engines_ari"] = (
            adjusted_rand_score(both["top_segment_id_duckdb"], both["top_segment_id_spark"]),
            adjusted_rand_score(both["segment_id_duckdb"], both["segment_id_spark"]))
        row["users_both"] = (len(duck), len(spark), len(both))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return row


def report(row: dict, partitions: int) -> str:
    gib = 1024
    lines = [
        "## Spark against DuckDB (`make bench-spark`)", "",
        f"{row['users']:,} demo users (seed 42), one run, {dt.date.today()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; "
        f"Spark local[2] with {partitions} shuffle partitions, driver memory "
        f"{os.environ.get('SEGSCOPE_SPARK_DRIVER_MEMORY', '4g')}. Command: "
        "`python benchmarks/bench_spark.py`.", "",
        "| | wall | peak RSS (largest process) |", "|---|---:|---:|",
        f"| DuckDB: whole `dbt build` | {row['duckdb']:.1f} s | "
        f"{row['duckdb_rss'] / gib:.1f} GiB |",
        f"| Spark: copy the raw tables in (`segscope spark load`) | {row['load']:.1f} s | |",
        f"| Spark: whole build (`segscope spark build`) | {row['spark']:.1f} s | "
        f"{row['spark_rss'] / gib:.1f} GiB |",
        f"| **ratio Spark / DuckDB (build)** | **{row['spark'] / row['duckdb']:.1f}x** | |",
        "", "Per stage (seconds, dbt's run_results):", "",
        "| stage | DuckDB | Spark |", "|---|---:|---:|",
        *(f"| {s} | {row['duckdb_stages'][s]:.1f} | {row['spark_stages'][s]:.1f} |"
          for s in STAGES),
        "",
        f"Segments: ARI against the planted truth (top level / leaf) DuckDB "
        f"{row['duckdb_ari'][0]:.3f} / {row['duckdb_ari'][1]:.3f}, Spark "
        f"{row['spark_ari'][0]:.3f} / {row['spark_ari'][1]:.3f}; DuckDB against Spark "
        f"{row['engines_ari'][0]:.3f} / {row['engines_ari'][1]:.3f} over "
        f"{row['users_both'][2]:,} users (DuckDB {row['users_both'][0]:,}, Spark "
        f"{row['users_both'][1]:,}).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int,
                        default=int(os.environ.get("SPARK_USERS", 1_000_000)))
    parser.add_argument("--shuffle-partitions", type=int, default=16)
    args = parser.parse_args()
    row = bench(args.users, args.shuffle_partitions)
    section = report(row, args.shuffle_partitions)
    print(section)
    write_section("bench_spark", section)


if __name__ == "__main__":
    main()
