"""One data set, one seed: segscope and the baselines on the same rows, scored against the
planted labels.

segscope is called the way an own feature table is fitted (``segment_users`` with no
catalog: the preprocessor infers every column's kind), with its defaults overlaid by
``segscope_params``. Scores: top ARI (a user's top-level segment vs the top labels), leaf
ARI (its leaf vs the finest labels), segments (leaves), and whether the root split. Every
segment id counts as a label of its own, the outlier segment (``-1``) and noise leaves
(``<parent>.0``) included; so does a baseline's noise label.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from segscope.segmentation import segment_users

from .baselines import BASELINES, scaled
from .datasets import Dataset, load

SEGSCOPE = "segscope"
KEY = "user_id"
OUTLIER_SEGMENT = "-1"


def run_segscope(data: Dataset, seed: int, params: dict | None = None):
    """(top labels, leaf labels) per row of ``data.X``."""
    features = data.X.copy()
    features.insert(0, KEY, np.arange(len(features)))
    result = segment_users(features, None, {"random_state": seed, **(params or {})})
    assigned = result.assignments.set_index(KEY).loc[features[KEY]]
    return (assigned["top_segment_id"].astype(str).to_numpy(),
            assigned["segment_id"].astype(str).to_numpy())


def _record(data: Dataset, seed: int, method: str, top, leaf, seconds: float) -> dict:
    top, leaf = np.asarray(top).astype(str), np.asarray(leaf).astype(str)
    return {
        "dataset": data.name,
        "kind": data.kind,
        "seed": seed,
        "method": method,
        "n": len(data.X),
        "top_ari": adjusted_rand_score(data.top, top),
        "leaf_ari": adjusted_rand_score(data.leaf, leaf),
        "segments": int(pd.unique(leaf).size),
        "root_split": bool(np.setdiff1d(pd.unique(top), [OUTLIER_SEGMENT]).size > 1),
        "seconds": seconds,
    }


def run(name: str, seed: int, size: float | None = None, methods: list[str] | None = None,
        segscope_params: dict | None = None) -> list[dict]:
    """One record per method on data set ``name`` drawn with ``seed``."""
    data = load(name, seed, size)
    methods = methods or [SEGSCOPE, *BASELINES]
    records = []
    if SEGSCOPE in methods:
        start = time.perf_counter()
        top, leaf = run_segscope(data, seed, segscope_params)
        records.append(_record(data, seed, SEGSCOPE, top, leaf, time.perf_counter() - start))
    Z = scaled(data.X)
    true_k = int(pd.unique(data.leaf).size)
    for method in methods:
        if method == SEGSCOPE:
            continue
        start = time.perf_counter()
        labels = BASELINES[method](Z, seed, true_k)
        records.append(_record(data, seed, method, labels, labels, time.perf_counter() - start))
    return records
