"""Command line of the demo data generator.

``python -m segscope.demo --users 20000 --seed 42 --db warehouse/segscope.duckdb --schema raw``
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb

from segscope.demo.generator import (
    check_n_users,
    check_schema,
    check_seed,
    generate,
    parse_as_of,
)


def _argument(check: Callable[[str], object], name: str) -> Callable[[str], object]:
    """An argparse ``type`` from a generator check: its ValueError becomes a usage error."""

    def convert(text: str):
        try:
            return check(text)
        except ValueError as error:
            raise argparse.ArgumentTypeError(str(error)) from None

    # argparse names the type in some messages
    convert.__name__ = name
    return convert


def _whole_number(text: str) -> int:
    try:
        return int(text.replace("_", ""))
    except ValueError:
        raise ValueError(f"must be a whole number, got {text!r}") from None


def _users(text: str) -> int:
    return check_n_users(_whole_number(text))


def _seed(text: str) -> int:
    return check_seed(_whole_number(text))


def _as_of(text: str) -> str:
    parse_as_of(text)
    return text


def build_parser(prog: str = "python -m segscope.demo") -> argparse.ArgumentParser:
    """The argument parser; ``prog`` names the command in usage and error messages."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Generate deterministic demo data for segscope (users, events, persona_truth): "
            "an online learning platform with planted personas, into a DuckDB file."
        ),
    )
    parser.add_argument(
        "--users",
        type=_argument(_users, "users"),
        default=20_000,
        help="number of users (default: 20000)",
    )
    parser.add_argument(
        "--seed",
        type=_argument(_seed, "seed"),
        default=42,
        help="the same seed gives the same data (default: 42)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=Path("warehouse/segscope.duckdb"),
        help="DuckDB file, created with its folder if missing (default: %(default)s)",
    )
    parser.add_argument(
        "--schema",
        type=_argument(check_schema, "schema"),
        default="raw",
        help="schema the tables are (re)created in (default: raw)",
    )
    parser.add_argument(
        "--as-of",
        type=_argument(_as_of, "as_of"),
        default="2026-06-01",
        help="the data's horizon, no event at or after it (default: 2026-06-01)",
    )
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "python -m segscope.demo") -> int:
    """Generate into the database file; return the exit code (bad arguments exit with 2).

    ``prog`` lets a wrapping command (``segscope demo``) name itself in messages.
    """
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    if args.db.is_dir():
        parser.error(f"argument --db: {str(args.db)!r} is a folder, expected a database file")
    print(
        f"segscope demo: {args.users:,} users, seed {args.seed}, as of {args.as_of} "
        f"-> {args.db} (schema {args.schema})",
        flush=True,
    )
    try:
        args.db.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(args.db))
    except (OSError, duckdb.Error) as error:
        print(f"error: cannot open {args.db}: {error}", file=sys.stderr)
        return 1
    try:
        # our progress lines are enough; DuckDB's progress bar garbles logs
        if not sys.stdout.isatty():
            con.execute("set enable_progress_bar = false")
        result = generate(
            con,
            n_users=args.users,
            seed=args.seed,
            schema=args.schema,
            as_of=args.as_of,
            progress=lambda line: print(line, flush=True),
        )
    except (ValueError, duckdb.Error) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        con.close()
    for table in ("users", "events", "persona_truth"):
        print(f"{args.schema}.{table}: {result[table]:,} rows")
    return 0
