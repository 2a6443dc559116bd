"""Parquet exports of the tables BI reads, so readers never block a build nor see a half-written
table.

DuckDB lets one process write a database file and no other open it meanwhile: a BI tool reading
the warehouse stops the next `dbt build`. So the build also exports every BI table, and readers
open the export instead of the database:

    <export_dir>/
      segment_tables.duckdb          a small DuckDB catalog: one view per table over the current
                                     generation's files; what DuckDB-speaking BI tools open
      <table>.parquet                the current generation's file under a stable name
      _manifest.json                 model version, export time, generation, files, row counts
      generations/<generation>/      each export's files, never modified once published; the
                                     last KEEP_GENERATIONS are kept

An export writes every table into a new generation folder (under a temporary name, each file
checked against its row count and flushed to disk), renames the folder into place, then
publishes: a new catalog, the stable names (hard links) and the manifest, each written to a
temporary file and moved onto its name with ``os.replace``, an atomic rename. A failure before
that publishes nothing; what a killed export leaves behind is removed by the next one. Exports
into one directory take turns (a lock file).

Why the catalog: DuckDB (and pyarrow) open a Parquet file by name several times in one query,
so a query that runs across the rename of a stable name can read the footer of one file and
the data of the other and fail. The catalog's views name a generation's own files, which never
change, and a DuckDB connection keeps the catalog file it opened: a query through the catalog
reads one generation from start to end, across tables too.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

try:  # POSIX; elsewhere exports into one directory are not serialised
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

EXPORT_DIR_VAR = "segscope_export_dir"
EXPORT_SWITCH_VAR = "segscope_export"
MANIFEST_NAME = "_manifest.json"
CATALOG_NAME = "segment_tables.duckdb"
GENERATIONS = "generations"
# generations kept: a reader that opened the catalog a few exports ago still finds its files
KEEP_GENERATIONS = 3
LOCK_NAME = ".segscope-export.lock"
# temporary files: .segscope-export.<table>.<random>.tmp
TEMP_PREFIX = ".segscope-export."
TEMP_SUFFIX = ".tmp"


def default_export_dir(database_path: str | os.PathLike | None) -> Path:
    """``<db dir>/<db stem>_exports``: the folder next to the DuckDB file."""
    if not database_path or str(database_path) == ":memory:" or ":" in Path(database_path).name:
        raise ValueError(
            f"var {EXPORT_DIR_VAR} is null, so the exports go next to the DuckDB file, but the "
            f"database is not a local file ({database_path!r}): set {EXPORT_DIR_VAR} to a "
            "directory"
        )
    path = Path(database_path).expanduser().absolute()
    return path.parent / f"{path.stem}_exports"


def resolve_export_dir(option: str | os.PathLike | None,
                       database_path: str | os.PathLike | None = None) -> Path:
    """The export directory: ``option`` (var segscope_export_dir; relative to the directory
    dbt runs in), or next to the DuckDB file when it is null."""
    if _is_null(option):
        return default_export_dir(database_path)
    if not isinstance(option, (str, os.PathLike)):
        raise ValueError(f"var {EXPORT_DIR_VAR} must be a directory path or null, "
                         f"got {option!r}")
    return Path(option).expanduser().absolute()


def check_switch(value) -> bool:
    """Var segscope_export: true or false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ValueError(f"var {EXPORT_SWITCH_VAR} must be true or false, got {value!r}")


def common_model_version(tables: Mapping[str, object]) -> str | None:
    """The one model version the tables share (DuckDB relations or data frames; tables without
    a model_version column or without rows say nothing). Tables of different fits raise: an
    export is one fit's tables, or none."""
    versions: dict[str, list[str]] = {}
    for name, table in tables.items():
        for version in _versions_of(table):
            versions.setdefault(version, []).append(name)
    if len(versions) > 1:
        detail = "; ".join(f"{v}: {', '.join(names)}" for v, names in sorted(versions.items()))
        raise ValueError(
            "the tables to export come from different segmentation fits (model_version "
            f"{detail}); rebuild them together (dbt build --select segmentation_fit+)"
        )
    return next(iter(versions), None)


def export_tables(tables: Mapping[str, object], export_dir: str | os.PathLike,
                  model_version: str | None, now: datetime | None = None) -> pd.DataFrame:
    """Export each table as a new generation, then publish it (catalog, stable names, manifest).

    ``tables``: name -> DuckDB relation, pandas DataFrame or pyarrow Table. Returns one row per
    table: table_name, file_path (the stable name), n_rows, model_version, exported_at (UTC,
    naive)."""
    export_dir = _prepare_dir(Path(export_dir))
    with _exclusive(export_dir):
        remove_stale_temporary_files(export_dir)
        exported_at = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
        generation = f"{exported_at:%Y%m%dT%H%M%S%fZ}-{model_version or 'unversioned'}"
        folder = export_dir / GENERATIONS / generation
        staging = folder.with_name(f"{TEMP_PREFIX}{generation}{TEMP_SUFFIX}")
        staged: list[Path] = []
        try:
            staging.mkdir(parents=True)
            rows = {}
            for name, table in tables.items():
                _check_name(name)
                rows[name] = _write_table(table, staging / f"{name}.parquet", name, export_dir)
            _sync_dir(staging)
            os.replace(staging, folder)
            manifest = {
                "model_version": model_version,
                "exported_at": exported_at.isoformat().replace("+00:00", "Z"),
                "generation": generation,
                "catalog": CATALOG_NAME,
                "tables": [{"table_name": name, "file_name": f"{name}.parquet",
                            "generation_file": f"{GENERATIONS}/{generation}/{name}.parquet",
                            "n_rows": n} for name, n in rows.items()],
            }
            staged.append(_write_catalog(export_dir, folder, list(rows), manifest))
            staged += [_link_temporary(folder / f"{name}.parquet", export_dir, name)
                       for name in rows]
            staged.append(_temporary_path(export_dir, "manifest"))
            _write_synced(staged[-1], (json.dumps(manifest, indent=2) + "\n").encode())
        except BaseException:
            # nothing is published: the previous export stays whole
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(folder, ignore_errors=True)
            for temp in staged:
                _remove(temp)
            raise
        # publish: the catalog, each stable name, then the manifest (it never names a file that
        # is not there yet)
        destinations = [CATALOG_NAME, *(f"{name}.parquet" for name in rows), MANIFEST_NAME]
        for temp, destination in zip(staged, destinations, strict=True):
            os.replace(temp, export_dir / destination)
        _sync_dir(export_dir)
        _prune_generations(export_dir / GENERATIONS, keep=KEEP_GENERATIONS)
    return _summary(export_dir, rows, model_version, exported_at.replace(tzinfo=None))


def _write_catalog(export_dir: Path, folder: Path, names: list[str], manifest: dict) -> Path:
    """A temporary DuckDB file with one view per table over the generation's files, and the
    export's facts in table _export."""
    temp = _temporary_path(export_dir, "catalog")
    with duckdb.connect(str(temp)) as con:
        for name in names:
            path = str((folder / f"{name}.parquet").absolute()).replace("'", "''")
            con.execute(f'create view "{name}" as select * from read_parquet(\'{path}\')')
        con.execute("create table _export (model_version varchar, exported_at varchar, "
                    "generation varchar)")
        con.execute("insert into _export values (?, ?, ?)", [
            manifest["model_version"], manifest["exported_at"], manifest["generation"]])
        con.execute("checkpoint")
    _fsync_file(temp)
    return temp


def _link_temporary(source: Path, export_dir: Path, name: str) -> Path:
    """A temporary second name for a generation's file (a hard link; a copy where the
    filesystem has none), ready to be renamed onto the stable name."""
    temp = _temporary_path(export_dir, name)
    try:
        os.link(source, temp)
    except OSError:
        shutil.copyfile(source, temp)
        _fsync_file(temp)
    return temp


def _prune_generations(generations: Path, keep: int) -> None:
    """Remove all but the newest ``keep`` published generations (names sort by time)."""
    published = sorted(p for p in generations.iterdir()
                       if p.is_dir() and not p.name.startswith(TEMP_PREFIX))
    for old in published[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def empty_summary() -> pd.DataFrame:
    """The summary of an export that did not run (var segscope_export false)."""
    return _summary(Path(), {}, None, None)


def _summary(export_dir: Path, rows: dict[str, int], model_version, exported_at):
    return pd.DataFrame({
        "table_name": pd.Series(list(rows), dtype="str"),
        "file_path": pd.Series([str(export_dir / f"{name}.parquet") for name in rows],
                               dtype="str"),
        "n_rows": pd.Series(list(rows.values()), dtype="int64"),
        "model_version": pd.Series([model_version] * len(rows), dtype="str"),
        "exported_at": pd.Series([exported_at] * len(rows), dtype="datetime64[us]"),
    })


def export_marts(session, tables: Mapping[str, object], enabled, export_dir) -> pd.DataFrame:
    """What the dbt model segment_exports does: check the vars, find the export directory
    (next to the database file of ``session`` by default), export every table of one fit."""
    if not check_switch(enabled):
        return empty_summary()
    database = None
    if _is_null(export_dir):
        rows = session.sql("select path from duckdb_databases() "
                           "where database_name = current_database()").fetchall()
        database = rows[0][0] if rows else None
    directory = resolve_export_dir(export_dir, database)
    return export_tables(tables, directory, common_model_version(tables))


def remove_stale_temporary_files(export_dir: str | os.PathLike) -> list[Path]:
    """Remove the temporary files and generation folders an export that did not finish left in
    ``export_dir``; only call it holding the directory's lock (export_tables does)."""
    export_dir = Path(export_dir)
    removed = []
    for path in [*export_dir.glob(f"{TEMP_PREFIX}*"),
                 *(export_dir / GENERATIONS).glob(f"{TEMP_PREFIX}*")]:
        if not path.name.endswith(TEMP_SUFFIX):
            continue
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            _remove(path)
        removed.append(path)
    return removed


def _is_null(option) -> bool:
    """Null, however the var arrives (dbt may render a null meta value as 'None')."""
    return option is None or (isinstance(option, str) and option.strip() in ("", "None", "null"))


def _prepare_dir(export_dir: Path) -> Path:
    """Create the directory and check it can be written, or raise naming the var."""
    try:
        export_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError as error:
        raise ValueError(f"var {EXPORT_DIR_VAR}: {export_dir} exists and is not a directory"
                         ) from error
    except OSError as error:
        raise ValueError(f"var {EXPORT_DIR_VAR}: cannot create the export directory "
                         f"{export_dir}: {error.strerror or error}") from error
    probe = _temporary_path(export_dir, "probe")
    try:
        probe.write_bytes(b"")
        probe.unlink(missing_ok=True)  # another export's cleanup may have taken it
    except OSError as error:
        raise ValueError(f"var {EXPORT_DIR_VAR}: cannot write to the export directory "
                         f"{export_dir}: {error.strerror or error}") from error
    return export_dir


@contextmanager
def _exclusive(export_dir: Path):
    """Hold the directory's lock: one export at a time writes into it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    with open(export_dir / LOCK_NAME, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def _check_name(name: str) -> None:
    if not name or name != Path(name).name or name.startswith("."):
        raise ValueError(f"cannot export a table named {name!r}: not a plain file name")


def _versions_of(table) -> list[str]:
    """The distinct non-null model versions in a table (none without the column)."""
    columns = table.schema.names if isinstance(table, pa.Table) else list(table.columns)
    if "model_version" not in columns:
        return []
    if isinstance(table, pa.Table):
        values = table.column("model_version").unique().to_pylist()
    elif hasattr(table, "unique"):  # a DuckDB relation
        values = [value for (value,) in table.unique("model_version").fetchall()]
    else:
        values = list(table["model_version"].unique())
    return sorted({str(value) for value in values if value is not None and not pd.isna(value)})


def _temporary_path(export_dir: Path, name: str) -> Path:
    return export_dir / f"{TEMP_PREFIX}{name}.{uuid.uuid4().hex}{TEMP_SUFFIX}"


def _write_table(table, path: Path, name: str, export_dir: Path) -> int:
    """Write one table to a Parquet file, check its row count, fsync it; its rows."""
    try:
        if hasattr(table, "write_parquet"):  # a DuckDB relation: DuckDB writes the file
            expected = table.count("*").fetchall()[0][0]
            table.write_parquet(str(path))
            _fsync_file(path)
        else:
            arrow = table if isinstance(table, pa.Table) else pa.Table.from_pandas(
                table, preserve_index=False)
            expected = arrow.num_rows
            with open(path, "xb") as handle:
                pq.write_table(arrow, handle)
                handle.flush()
                os.fsync(handle.fileno())
        rows = pq.read_metadata(path).num_rows
        if rows != expected:
            raise OSError(f"{path} holds {rows} rows of {name}'s {expected}")
    except OSError as error:
        raise OSError(f"exporting {name} to {export_dir} "
                      f"(var {EXPORT_DIR_VAR}): {error.strerror or error}") from error
    return int(rows)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_file(path: Path) -> None:
    """Flush a file another writer (DuckDB) has closed to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_dir(path: Path) -> None:
    """Make the renames durable (POSIX; a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    with suppress(FileNotFoundError):
        path.unlink()
