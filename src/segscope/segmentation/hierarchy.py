"""The splits of a segment tree, read back from users' leaf segment ids.

Leaf ids are tree paths (``2.1.3``), so every split node and its children can be
recovered from the assignments alone: the explainer and the stability checks need
no more than that.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .tree import ROOT, segment_sort_key


@dataclass
class Split:
    """One node that split: its users (row positions) and which child each one is in."""

    segment_id: str  # "root" for the top level
    parent_segment_id: str | None  # the split node as the segment tables name it (None: top)
    rows: np.ndarray
    child: np.ndarray  # index into child_ids, per row
    child_ids: list[str]


def splits_of(leaf_ids, exclude: tuple[str, ...] = ()) -> list[Split]:
    """Every node with at least two children, top level first.

    ``exclude``: leaf ids whose users take no part (e.g. the outlier segment ``-1``,
    which no clusterer fitted).
    """
    leaves = pd.Series(np.asarray(leaf_ids, dtype=str))
    keep = ~leaves.isin(list(exclude))
    parts = leaves.str.split(".", regex=False)
    depth = parts.str.len()
    out = []
    for level in range(int(depth.max()) if len(depth) else 0):
        at = keep & (depth > level)
        if not at.any():
            continue
        child = parts[at].str[: level + 1].str.join(".")
        parent = (
            parts[at].str[:level].str.join(".") if level else pd.Series(ROOT, index=child.index)
        )
        for node, members in child.groupby(parent, sort=False):
            child_ids = sorted(members.unique(), key=segment_sort_key)
            if len(child_ids) < 2:
                continue
            codes = pd.Categorical(members, categories=child_ids).codes.astype(np.int64)
            out.append(
                Split(
                    segment_id=node,
                    parent_segment_id=None if node == ROOT else node,
                    rows=members.index.to_numpy(),
                    child=codes,
                    child_ids=child_ids,
                )
            )
    return sorted(out, key=lambda s: (s.segment_id != ROOT, s.segment_id.count("."), s.segment_id))


def leaf_ids(features: pd.DataFrame, assignments: pd.DataFrame, key: str) -> np.ndarray:
    """Each features row's leaf segment id, from the assignments table."""
    leaf = assignments.set_index(key)["segment_id"].reindex(features[key]).to_numpy()
    if pd.isna(leaf).any():
        missing = int(pd.isna(leaf).sum())
        raise ValueError(
            f"{missing} user(s) of the features table have no segment in the fit: the features "
            "changed since the segmentation was fitted; rebuild segmentation_fit"
        )
    return leaf.astype(str)
