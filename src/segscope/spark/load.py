"""Copy the tables of one DuckDB schema into a Spark database of the same name (through Parquet),
so a build on Spark reads the same raw data as a build on DuckDB."""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import duckdb


def load_schema(db: str, schema: str = "raw", session=None) -> dict[str, int]:
    """Replace the Spark database ``schema``'s tables with the DuckDB schema's; rows per table."""
    from segscope.spark.session import get_session

    path = Path(db)
    if not path.exists():
        raise FileNotFoundError(f"no DuckDB file at {path}")
    with duckdb.connect(str(path), read_only=True) as con:
        tables = [name for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = ? order by table_name",
            [schema]).fetchall()]
        if not tables:
            raise ValueError(f"{path} has no tables in schema {schema!r}")
        spark = session or get_session()
        spark.sql(f"create database if not exists `{schema}`")
        counts = {}
        staging = Path(tempfile.mkdtemp(prefix="segscope-load-"))
        try:
            for table in tables:
                started = time.perf_counter()
                parquet = staging / f"{table}.parquet"
                con.execute(f'copy "{schema}"."{table}" to \'{parquet}\' (format parquet)')
                frame = spark.read.parquet(str(parquet))
                frame.write.mode("overwrite").format("parquet").saveAsTable(
                    f"`{schema}`.`{table}`")
                counts[table] = spark.table(f"`{schema}`.`{table}`").count()
                print(f"  {schema}.{table}: {counts[table]:,} rows "
                      f"({time.perf_counter() - started:.1f} s)", flush=True)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return counts
