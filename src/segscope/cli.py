"""The `segscope` command: demo data and a look at what a build produced."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

EXAMPLE_QUERY = """\
select segments.segment_id, segments.depth, segments.n_users,
       round(100 * segments.share_of_users, 1) as pct_of_users,
       round(avg(user_features.n_events), 1) as avg_events,
       round(avg(user_features.active_days), 2) as avg_active_days
from segments
join user_segments on user_segments.segment_id = segments.segment_id
join user_features on user_features.user_id = user_segments.user_id
group by all order by segments.segment_id"""


def _default_db() -> str:
    return os.environ.get("SEGSCOPE_DB", "warehouse/segscope.duckdb")


def summary(db: str) -> int:
    """Print where the tables are, their sizes, and one example query."""
    path = Path(db)
    if not path.exists():
        print(f"segscope: no warehouse at {path}; run `make demo` first", file=sys.stderr)
        return 2
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.sql(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            "where schema_name not like '%dbt_test__audit' order by schema_name, table_name"
        ).fetchall()
        print(f"Warehouse: {path.resolve()}")
        for schema, table, rows in tables:
            print(f"  {schema + '.' + table:<44} ~{rows:>12,} rows")
        eligible = con.sql("select count(*) from int_users__observation_windows").fetchall()[0][0]
        features = con.sql("select count(*), count(distinct user_id) from user_features")
        n_rows, n_users = features.fetchall()[0]
        print(f"user_features: {n_rows:,} rows for {n_users:,} users; {eligible:,} users eligible")
        try:
            (n_segmented,), = con.sql("select count(*) from user_segments").fetchall()
        except duckdb.CatalogException:
            print("no segment tables yet: run the whole `dbt build`", file=sys.stderr)
            return 1
        (n_segments, n_leaves), = con.sql(
            "select count(*), count(case when is_leaf then 1 end) from segments").fetchall()
        print(f"user_segments: {n_segmented:,} users in {n_leaves} leaf segments "
              f"({n_segments} segments in the tree)")
        print("\nExample query, leaf segments with two of their features (open the file with "
              "DuckDB, or point your BI tool at it):")
        print(EXAMPLE_QUERY + ";\n")
        print(con.sql(EXAMPLE_QUERY))
    finally:
        con.close()
    return 0 if n_rows == n_users == eligible == n_segmented else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segscope", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo", help="generate the demo warehouse (see `segscope demo --help`)", add_help=False
    )
    show = commands.add_parser("summary", help="show the tables a build produced")
    show.add_argument("--db", default=_default_db(), help="DuckDB file (env SEGSCOPE_DB)")
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from segscope.demo.cli import main as demo_main

        return demo_main(rest, prog="segscope demo")
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return summary(args.db)


if __name__ == "__main__":
    sys.exit(main())
