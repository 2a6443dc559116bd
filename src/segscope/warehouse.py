"""The bridge between dbt Python models and the engine: one fit, persisted, unpacked per table.

dbt gives each Python model one output table, but one fit must feed several tables. So the fit
model returns a single row holding the pickled result, and each segment table's model unpickles
it and returns its own table: nothing is refitted per table.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from datetime import datetime, timezone

import pandas as pd

from segscope.segmentation.pipeline import SegmentationResult, segment_users

TABLES = ("assignments", "segments", "model_selection", "embedding_2d", "preprocess_log",
          "explained_variance")


def catalog_for(features: pd.DataFrame, catalog: pd.DataFrame | None, key: str):
    """The catalog rows of the columns being segmented; None when it describes other columns
    (a feature table of the user's own: the preprocessor then infers each column's kind)."""
    if catalog is None or catalog.empty:
        return None
    catalog = catalog.rename(columns={"feature_name": "name"})
    known = catalog[catalog["name"].isin(features.columns)]
    if len(known) != len(features.columns.drop(key)):
        return None
    return known[["name", "kind", "transform"]].reset_index(drop=True)


def model_version(features: pd.DataFrame, params: dict) -> str:
    """A short hash of the parameters and the data: the same fit gets the same version."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    digest.update(",".join(features.columns).encode())
    digest.update(pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes())
    return digest.hexdigest()[:12]


def fit_segmentation(features: pd.DataFrame, catalog: pd.DataFrame | None,
                     params: dict | None, source: str = "the segmentation input") -> pd.DataFrame:
    """Fit once; return a one-row frame with the version, the parameters and the result.

    A bad parameter or unusable input raises ValueError naming `source` (the table), the column
    and the rule, before anything is returned: dbt then keeps the previous tables."""
    params = dict(params or {})
    key = params.get("key", "user_id")
    if key not in features.columns:
        raise ValueError(f"{source} has no key column {key!r} (param 'key'); "
                         f"its columns are {', '.join(features.columns)}")
    try:
        result = segment_users(features, catalog_for(features, catalog, key), params)
    except ValueError as error:
        raise ValueError(f"segmentation of {source}: {error}") from error
    return pd.DataFrame({
        "model_version": [model_version(features, result.params)],
        "fitted_at": [datetime.now(timezone.utc).replace(tzinfo=None)],
        "n_users": [len(features)],
        "params": [json.dumps(result.params, sort_keys=True, default=str)],
        "result": [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)],
    })


def load_result(fit: pd.DataFrame) -> tuple[str, SegmentationResult]:
    """The version and the result stored by fit_segmentation."""
    if len(fit) != 1:
        raise ValueError(f"the segmentation fit table must hold one fit, it holds {len(fit)}")
    row = fit.iloc[0]
    return row["model_version"], pickle.loads(row["result"])


def unpack(fit: pd.DataFrame, table: str) -> pd.DataFrame:
    """One of the result's tables, tagged with the model version."""
    if table not in TABLES:
        raise ValueError(f"unknown segmentation table {table!r}; the tables are {TABLES}")
    version, result = load_result(fit)
    frame = result.tables()[table].copy()
    frame["model_version"] = version
    return frame
