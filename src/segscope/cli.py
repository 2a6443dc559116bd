"""The `segscope` command: demo data, the MovieLens example, and a look at what a build
produced."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import duckdb

# the schema suffix of what a build makes before it publishes it (dbt_project.yml, +schema):
# the summary lists what BI reads
UNPUBLISHED_SUFFIX = "_unpublished"
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
    from segscope.report.data import one_segment_notice

    path = Path(db)
    if not path.exists():
        print(f"segscope: no warehouse at {path}; run `make demo` first", file=sys.stderr)
        return 2
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = con.sql(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            "where schema_name not like '%dbt_test__audit' and not ends_with(schema_name, ?) "
            "order by schema_name, table_name", params=[UNPUBLISHED_SUFFIX]
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
        notice = one_segment_notice(con.sql("select depth from segments").df(), con.sql(
            "select node_depth, split_reason from segment_model_selection").df())
        if notice:
            print(f"\n{notice}")
        print("\nExample query, leaf segments with two of their features (open the file with "
              "DuckDB, or point your BI tool at it):")
        print(EXAMPLE_QUERY + ";\n")
        print(con.sql(EXAMPLE_QUERY))
    finally:
        con.close()
    return 0 if n_rows == n_users == eligible == n_segmented else 1


def _read(db: str, queries: list[str], missing: str) -> list[list[tuple]] | int:
    """The rows of each query, read-only; an exit code (with a message) when the warehouse or
    one of its tables is not there yet."""
    path = Path(db)
    if not path.exists():
        print(f"segscope: no warehouse at {path}", file=sys.stderr)
        return 2
    with duckdb.connect(str(path), read_only=True) as con:
        try:
            return [con.sql(query).fetchall() for query in queries]
        except duckdb.CatalogException:
            print(missing, file=sys.stderr)
            return 1


def items(db: str, top: int = 5) -> int:
    """Print every segment of the tree, its size, and its most distinctive items."""
    from segscope.segmentation.tree import segment_sort_key

    read = _read(db, [
        "select segment_id, depth, n_users, share_of_users, name from segments",
        "select segment_id, item_label, segment_user_share, others_user_share, lift "
        f"from segment_items where rank <= {int(top)} order by segment_id, rank",
    ], "no segment_items table yet: run the whole `dbt build`")
    if isinstance(read, int):
        return read
    segments, rows = read
    by_segment: dict[str, list[tuple]] = {}
    for segment_id, *row in rows:
        by_segment.setdefault(segment_id, []).append(row)
    n_users = sum(n for _, depth, n, _, _ in segments if depth == 1)
    print(f"{len(segments)} segments of {n_users:,} users; each segment's top {top} items "
          "(class-based TF-IDF against the other segments at its depth), with the share of "
          "the segment's users who have it vs the other segments' users:")
    for segment_id, depth, n, share, name in sorted(segments, key=lambda s: segment_sort_key(s[0])):
        indent = "  " * (depth - 1)
        print(f"\n{indent}{name}  [{n:,} users, {100 * share:.1f}%]")
        listed = by_segment.get(segment_id, [])
        if not listed:
            print(f"{indent}    (no item sets it apart from the other segments at its depth)")
        for label, segment_share, others_share, _lift in listed:
            print(f"{indent}    {label}  ({100 * segment_share:.0f}% vs {100 * others_share:.0f}%)")
    return 0


def catalog(db: str, pin: bool) -> int:
    """Print the event names (and item categories) the last build profiled, which became
    features and why, and the features without information; with pin, only the vars line that
    keeps the event names."""
    import json

    read = _read(db, [
        "select event_name, n_users, user_share, is_selected, selection_reason "
        "from int_event_types order by selection_rank nulls last, n_users desc, event_name",
        "select event_name, feature_name from feature_catalog "
        "where event_name is not null order by feature_position",
        "select category, n_users, user_share, is_selected, selection_reason "
        "from int_item_categories order by selection_rank nulls last, n_users desc, category",
        "select feature_name, not_segmented_because from feature_catalog "
        "where not_segmented_because is not null order by feature_position",
    ], "no int_event_types or feature_catalog yet: run `dbt build`")
    if isinstance(read, int):
        return read
    event_types, features, categories, uninformative = read
    chosen = [name for name, _, _, selected, _ in event_types if selected]
    pinned = f"segscope_event_types: [{', '.join(json.dumps(name) for name in chosen)}]"
    if pin:
        print(pinned)
        return 0
    by_event: dict[str, list[str]] = {}
    for event_name, feature_name in features:
        by_event.setdefault(event_name, []).append(feature_name)
    print(f"{len(event_types)} event names in the eligible users' windows, {len(chosen)} became "
          "features (int_event_types, feature_catalog):")
    for name, n_users, share, selected, reason in event_types:
        mark = "+" if selected else "-"
        made = ", ".join(by_event.get(name, [])) or "no feature"
        print(f"  {mark} {name:<28} {n_users:>10,} users ({100 * share:5.1f}%)  {made}")
        print(f"      {reason}")
    if categories:
        n_chosen = sum(1 for *_, selected, _ in categories if selected)
        print(f"\n{len(categories)} item categories, {n_chosen} became share_category_ features "
              "(int_item_categories):")
        for name, n_users, share, selected, reason in categories:
            print(f"  {'+' if selected else '-'} {name:<28} {n_users:>10,} users "
                  f"({100 * share:5.1f}%)  {reason}")
    if uninformative:
        print("\nNot segmented on: no information in this data (feature_catalog."
              "not_segmented_because):")
        for name, reason in uninformative:
            print(f"  - {name}: {reason}")
    print("\nTo keep exactly these columns when the data changes, pin the list in your vars "
          "(dbt_project.yml, or --vars):")
    print(pinned)
    return 0


def movielens(db: str, data: str, schema: str) -> int:
    """Load the MovieLens example's CSVs into the DuckDB file."""
    from segscope.examples.movielens import load

    path = Path(db)
    if path.stem == schema:
        # DuckDB then cannot bind the views dbt builds over the tables ("ambiguous reference
        # to catalog or schema")
        print(f"error: the database file {path.name} is named like the schema {schema!r}; "
              "DuckDB's views over it would be ambiguous: choose another --db or --schema",
              file=sys.stderr)
        return 2
    print(f"segscope movielens: {data} -> {path} (schema {schema})", flush=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(path)) as con:
            counts = load(con, data, schema)
    except (OSError, ValueError, duckdb.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for table, n in counts.items():
        print(f"{schema}.{table}: {n:,} rows")
    return 0


def cdnow(db: str, data: str, schema: str, compare: bool) -> int:
    """Download (once) and load the CDNOW purchase log; with compare, set the built segments
    against classic RFM quintiles instead."""
    from segscope.examples import cdnow as example

    if compare:
        try:
            with duckdb.connect(db, read_only=True) as con:
                table, eta = example.rfm_comparison(con)
        except duckdb.Error as error:
            print(f"error: {error} (run `dbt build` with examples/cdnow/vars.yml first)",
                  file=sys.stderr)
            return 1
        print("Customers per leaf (rows) and frequency quintile F (1 = fewest purchases, "
              "5 = most):")
        print(table.to_string())
        print("Variance of the RFM quintiles the leaves explain (eta squared): "
              + ", ".join(f"{name} {value:.2f}" for name, value in eta.items()))
        return 0
    try:
        path = example.fetch(data)
        Path(db).parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(db) as con:
            n = example.load(con, data, schema)
    except (OSError, ValueError, duckdb.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"segscope cdnow: {path} -> {db}: {schema}.purchases, {n:,} rows")
    return 0


def report(db: str, out: str | None) -> int:
    """Write the HTML report of the warehouse's segment tables and print where it is."""
    from segscope.report import ReportDataError, write_report

    try:
        path = write_report(db, out)
    except (ReportDataError, duckdb.Error, OSError) as error:
        print(f"segscope report: {error}", file=sys.stderr)
        return 1
    print(f"Report: {path.resolve()}")
    return 0


SPARK_USAGE = """\
usage: segscope spark load [--db DUCKDB] [--schema SCHEMA]
       segscope spark DBT_COMMAND [DBT_ARGS ...]

load: copy the DuckDB file's SCHEMA tables (default: raw, the demo's source schema) into the
Spark database of that name. Anything else runs dbt on the spark target in this process (for
example `segscope spark build`), with the Python models run in dbt's own SparkSession."""


def spark(args: list[str]) -> int:
    """`segscope spark load ...` or `segscope spark <dbt command> ...`."""
    if not args or args[0] in ("-h", "--help"):
        print(SPARK_USAGE)
        return 0 if args else 2
    try:
        import pyspark  # noqa: F401
    except ImportError:
        print("segscope: pyspark is not installed: pip install -e '.[spark]' "
              "(or run `make test-spark`, which installs it)", file=sys.stderr)
        return 2
    if args[0] == "load":
        parser = argparse.ArgumentParser(prog="segscope spark load")
        parser.add_argument("--db", default=_default_db(), help="DuckDB file (env SEGSCOPE_DB)")
        parser.add_argument("--schema", default="raw", help="schema to copy (default: raw)")
        options = parser.parse_args(args[1:])
        from segscope.spark.load import load_schema

        try:
            load_schema(options.db, options.schema)
        except (FileNotFoundError, ValueError) as error:
            print(f"segscope spark load: {error}", file=sys.stderr)
            return 2
        return 0
    from segscope.spark.runner import dbt_on_spark

    return dbt_on_spark(args)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="segscope", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "demo", help="generate the demo warehouse (see `segscope demo --help`)", add_help=False
    )
    show = commands.add_parser("summary", help="show the tables a build produced")
    show.add_argument("--db", default=_default_db(), help="DuckDB file (env SEGSCOPE_DB)")
    listing = commands.add_parser("items", help="each segment's size and most distinctive items")
    listing.add_argument("--db", default=_default_db(), help="DuckDB file (env SEGSCOPE_DB)")
    listing.add_argument("--top", type=int, default=5, help="items per segment (default: 5)")
    page = commands.add_parser(
        "report", help="write the HTML report (one self-contained file) of a build")
    page.add_argument("--db", default=_default_db(), help="DuckDB file (env SEGSCOPE_DB)")
    page.add_argument("--out", default=None,
                      help="HTML file to write (default: <db folder>/<db name>_report.html)")
    commands.add_parser(
        "spark", help="the project on Spark: `segscope spark load`, `segscope spark <dbt command>`",
        add_help=False)
    vocabulary = commands.add_parser(
        "catalog", help="the event names a build profiled and the features they gave; --pin "
        "prints the vars line that keeps them")
    vocabulary.add_argument("--db", default=_default_db(), help="DuckDB file (env SEGSCOPE_DB)")
    vocabulary.add_argument("--pin", action="store_true",
                            help="print only the segscope_event_types line to pin the list")
    example = commands.add_parser(
        "movielens", help="load the MovieLens example (examples/movielens) into a DuckDB file")
    example.add_argument("--db", default="warehouse/movielens_example.duckdb",
                         help="DuckDB file, created if missing (default: %(default)s)")
    example.add_argument("--data", default="examples/movielens/data",
                         help="folder with ratings.csv and movies.csv (default: %(default)s)")
    example.add_argument("--schema", default="movielens",
                         help="schema the tables are (re)created in (default: %(default)s)")
    purchases = commands.add_parser(
        "cdnow", help="download (once) and load the CDNOW purchase log (examples/cdnow); "
        "--compare sets the built segments against RFM quintiles")
    purchases.add_argument("--db", default="warehouse/cdnow_example.duckdb",
                           help="DuckDB file, created if missing (default: %(default)s)")
    purchases.add_argument("--data", default="examples/cdnow/data",
                           help="folder the log is downloaded to (default: %(default)s)")
    purchases.add_argument("--schema", default="cdnow",
                           help="schema the table is (re)created in (default: %(default)s)")
    purchases.add_argument("--compare", action="store_true",
                           help="print segments x RFM quintiles of the built --db")
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from segscope.demo.cli import main as demo_main

        return demo_main(rest, prog="segscope demo")
    if args.command == "spark":
        return spark(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "items":
        if args.top < 1:
            parser.error("argument --top: must be at least 1")
        return items(args.db, args.top)
    if args.command == "movielens":
        return movielens(args.db, args.data, args.schema)
    if args.command == "cdnow":
        return cdnow(args.db, args.data, args.schema, args.compare)
    if args.command == "catalog":
        return catalog(args.db, args.pin)
    if args.command == "report":
        return report(args.db, args.out)
    return summary(args.db)


if __name__ == "__main__":
    sys.exit(main())
