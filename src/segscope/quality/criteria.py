"""The quality targets, checked on the benchmark's records (one per data set, seed, method).

Per data set, over its seeds: the median and range of segscope's top and leaf ARI, and:

* ``vs_baseline`` (structured): segscope's median leaf ARI >= the best non-oracle
  baseline's median leaf ARI - 0.02;
* ``floor`` (digits; event-shaped personas): median leaf ARI >= 0.85 (digits); median top
  ARI >= 0.95 and median leaf ARI >= 0.90 (event personas);
* ``no_false_split`` (null controls): the root split on no seed;
* ``root_stable``: the root's split / no-split decision is the same on >= 80% of the seeds
  (4 of 5).
"""

from __future__ import annotations

import pandas as pd

from .baselines import ORACLES

BASELINE_MARGIN = 0.02
FLOORS = {
    "digits": {"leaf_ari": 0.85},
    "event_personas": {"top_ari": 0.95, "leaf_ari": 0.90},
    "event_personas_nested": {"top_ari": 0.95, "leaf_ari": 0.90},
}
ROOT_AGREEMENT = 0.8
SEGSCOPE = "segscope"


def summarize(records: list[dict]) -> pd.DataFrame:
    """One row per data set and method: median, min and max of each score over the seeds,
    root splits, seeds and median seconds."""
    frame = pd.DataFrame(records)
    grouped = frame.groupby(["dataset", "kind", "method"], sort=False)
    out = grouped.agg(
        top_median=("top_ari", "median"), top_min=("top_ari", "min"),
        top_max=("top_ari", "max"), leaf_median=("leaf_ari", "median"),
        leaf_min=("leaf_ari", "min"), leaf_max=("leaf_ari", "max"),
        segments_median=("segments", "median"), segments_min=("segments", "min"),
        segments_max=("segments", "max"), root_splits=("root_split", "sum"),
        seeds=("seed", "nunique"), seconds=("seconds", "median"),
    )
    return out.reset_index()


def best_baseline(summary: pd.DataFrame, dataset: str) -> tuple[str, float] | None:
    """The non-oracle baseline with the highest median leaf ARI on ``dataset``."""
    rows = summary[(summary["dataset"] == dataset) & (summary["method"] != SEGSCOPE)
                   & ~summary["method"].isin(ORACLES)]
    if rows.empty:
        return None
    best = rows.loc[rows["leaf_median"].idxmax()]
    return best["method"], float(best["leaf_median"])


def checks(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per data set: each applicable check as True / False (None: not applicable)."""
    rows = []
    for _, own in summary[summary["method"] == SEGSCOPE].iterrows():
        name, structured = own["dataset"], own["kind"] == "structured"
        row = {"dataset": name, "vs_baseline": None, "floor": None, "no_false_split": None}
        best = best_baseline(summary, name)
        if structured and best is not None:
            row["vs_baseline"] = bool(own["leaf_median"] >= best[1] - BASELINE_MARGIN)
        if name in FLOORS:
            row["floor"] = all(own[f"{score.split('_')[0]}_median"] >= floor
                               for score, floor in FLOORS[name].items())
        if not structured:
            row["no_false_split"] = bool(own["root_splits"] == 0)
        majority = max(own["root_splits"], own["seeds"] - own["root_splits"])
        row["root_stable"] = bool(majority >= ROOT_AGREEMENT * own["seeds"])
        rows.append(row)
    return pd.DataFrame(rows)
