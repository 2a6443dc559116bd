"""MovieLens ``ml-latest-small`` as behavioural events: every rating is an event.

``load(con, data_dir, schema)`` (re)creates, in DuckDB:

- ``{schema}.ratings``: one row per rating, an event: ``rating_id`` (synthetic, 1..n in
  ``userId, movieId`` order), ``user_id``, ``rated_at`` (the unix timestamp, UTC),
  ``event_name`` ('rated'), ``movie_id`` (the item) and ``rating`` (the value);
- ``{schema}.movies``: one row per movie, the items table: ``movie_id``, ``title`` (the label),
  ``genres``.

There is no users table: the project derives users from the events
(``segscope_users_table: null``). ``examples/movielens/vars.yml`` maps these tables onto the
project's roles; ``segscope movielens`` runs the load from the command line.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

DEFAULT_DATA_DIR = Path("examples/movielens/data")
DEFAULT_SCHEMA = "movielens"
FILES = ("ratings.csv", "movies.csv")


def _check_schema(schema: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", schema):
        raise ValueError(f"schema must be a lowercase SQL identifier, got {schema!r}")
    return schema


def _csv(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def qualified_schema(con: duckdb.DuckDBPyConnection, schema: str) -> str:
    """The schema qualified by the database: in a file called movielens.duckdb,
    "movielens.ratings" would be ambiguous (database or schema)."""
    schema = _check_schema(schema)
    (database,), = con.sql("select current_database()").fetchall()
    return '"' + database.replace('"', '""') + f'".{schema}'


def load(con: duckdb.DuckDBPyConnection, data_dir: Path | str = DEFAULT_DATA_DIR,
         schema: str = DEFAULT_SCHEMA) -> dict[str, int]:
    """Load ratings.csv and movies.csv from ``data_dir`` into ``schema``; return row counts."""
    schema = _check_schema(schema)
    data_dir = Path(data_dir)
    missing = [name for name in FILES if not (data_dir / name).is_file()]
    if missing:
        raise FileNotFoundError(
            f"MovieLens files missing in {data_dir}: {', '.join(missing)} "
            f"(expected the ml-latest-small CSVs, see examples/movielens/README.md)")
    ratings, movies = (_csv(data_dir / name) for name in FILES)
    qualified = qualified_schema(con, schema)
    con.execute(f"create schema if not exists {qualified}")
    # explicit types: the ids are keys (never sniffed as doubles), the timestamp unix seconds
    con.execute(f"""
        create or replace table {qualified}.ratings as
        select
            cast(row_number() over (order by userId, movieId, "timestamp") as bigint) as rating_id,
            userId as user_id,
            make_timestamp("timestamp" * 1000000) as rated_at,
            'rated' as event_name,
            movieId as movie_id,
            rating
        from read_csv({ratings}, header = true, columns = {{
            'userId': 'bigint', 'movieId': 'bigint', 'rating': 'double', 'timestamp': 'bigint'}})
        order by rating_id
    """)
    con.execute(f"""
        create or replace table {qualified}.movies as
        select movieId as movie_id, title, genres
        from read_csv({movies}, header = true, quote = '"', escape = '"', columns = {{
            'movieId': 'bigint', 'title': 'varchar', 'genres': 'varchar'}})
        order by movie_id
    """)
    return {
        table: con.sql(f"select count(*) from {qualified}.{table}").fetchall()[0][0]
        for table in ("ratings", "movies")
    }
