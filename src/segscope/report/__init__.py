"""The segment report: one self-contained HTML file (inline CSS and SVG, no script, nothing
fetched) that shows a build's data quality, model selection, embedding, tree and one card per
segment. `segscope report` writes it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from segscope.report.data import ReportDataError, load
from segscope.report.page import render

__all__ = ["ReportDataError", "default_report_path", "write_report"]


def default_report_path(db: str | Path) -> Path:
    """Next to the warehouse: warehouse/segscope.duckdb -> warehouse/segscope_report.html."""
    db = Path(db)
    return db.with_name(f"{db.stem}_report.html")


def write_report(db: str | Path, out: str | Path | None = None) -> Path:
    """Read the segment tables of the DuckDB file `db` (read-only) and write the report.

    The file is replaced atomically, so a browser or a web server never reads half of it."""
    db = Path(db)
    if not db.exists():
        raise ReportDataError(f"no warehouse at {db}: run `dbt build` first")
    out = Path(out) if out is not None else default_report_path(db)
    with duckdb.connect(str(db), read_only=True) as con:
        html = render(load(con), title=f"segscope segments · {db.stem}")
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(html)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
