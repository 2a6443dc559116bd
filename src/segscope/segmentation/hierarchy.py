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
    which no clusterer fitted). Paths are parsed once per distinct leaf, so a million
    users cost a few integer passes.
    """
    codes, leaves = pd.factorize(np.asarray(leaf_ids, dtype=str))
    paths = [leaf.split(".") for leaf in leaves]
    excluded = set(exclude)
    out = []
    for level in range(max((len(p) for p in paths), default=0)):
        children: dict[str, dict[int, str]] = {}  # node -> {distinct leaf: child id}
        for u, path in enumerate(paths):
            if len(path) > level and leaves[u] not in excluded:
                node = ".".join(path[:level]) if level else ROOT
                children.setdefault(node, {})[u] = ".".join(path[: level + 1])
        for node, under in children.items():
            child_ids = sorted(set(under.values()), key=segment_sort_key)
            if len(child_ids) < 2:
                continue
            index = {child: j for j, child in enumerate(child_ids)}
            lookup = np.full(len(leaves), -1, dtype=np.int64)
            for u, child in under.items():
                lookup[u] = index[child]
            rows = np.flatnonzero(lookup[codes] >= 0)
            out.append(
                Split(
                    segment_id=node,
                    parent_segment_id=None if node == ROOT else node,
                    rows=rows,
                    child=lookup[codes[rows]],
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
