"""Stable segment ids across refits, and what happened to each segment.

A refit numbers its segments afresh; dashboards, names and CRM exports key on ids, so a refit
must give each segment the id of the previous version's segment it continues. Matching runs
down the tree: at each depth, the children of a matched parent are matched to the previous
children of that parent by member overlap (Jaccard over the users both versions segmented,
Hungarian assignment); a child that matches none gets a new id, never one the previous
version used under that parent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from .tree import OUTLIER_SEGMENT, ROOT, segment_sort_key

# a new segment continues a previous one when their members overlap at least this much
MIN_JACCARD = 0.5
# lineage: a segment sends (or takes) users to (from) another when at least this share of its
# users moves so
MIN_FLOW_SHARE = 0.2

LINEAGE_COLUMNS = ["segment_id", "depth", "status", "previous_segment_ids", "next_segment_ids",
                   "jaccard", "n_users_previous", "n_users_next"]
MIGRATION_COLUMNS = ["previous_segment_id", "segment_id", "n_users"]


def empty_lineage() -> pd.DataFrame:
    return pd.DataFrame(columns=LINEAGE_COLUMNS)


def first_version(segments: pd.DataFrame) -> pd.DataFrame:
    """The lineage of a first fit: every segment is born."""
    return pd.DataFrame({
        "segment_id": segments["segment_id"].astype(str),
        "depth": segments["depth"].astype("int64"),
        "status": "born",
        "previous_segment_ids": "",
        "next_segment_ids": "",
        "jaccard": 0.0,
        "n_users_previous": 0,
        "n_users_next": segments["n_users"].astype("int64"),
    }, columns=LINEAGE_COLUMNS)


def _ancestor(segment_id: str, depth: int) -> str | None:
    """The segment's ancestor at ``depth`` (None when the segment is shallower)."""
    parts = segment_id.split(".")
    return ".".join(parts[:depth]) if len(parts) >= depth else None


def _leaf_pairs(previous: pd.Series, new: pd.Series) -> pd.DataFrame:
    """Users per (previous leaf, new leaf): counted on integer codes, a million users in a
    fraction of a second."""
    previous_codes, previous_leaves = pd.factorize(previous.to_numpy())
    new_codes, new_leaves = pd.factorize(new.to_numpy())
    width = max(len(new_leaves), 1)
    pairs, counts = np.unique(previous_codes.astype(np.int64) * width + new_codes,
                              return_counts=True)
    return pd.DataFrame({"previous": np.asarray(previous_leaves, dtype=object)[pairs // width],
                         "new": np.asarray(new_leaves, dtype=object)[pairs % width],
                         "n": counts.astype(np.int64)})


def _parent(segment_id: str) -> str:
    return segment_id.rsplit(".", 1)[0] if "." in segment_id else ROOT


def _suffix(segment_id: str) -> int:
    return int(segment_id.rsplit(".", 1)[-1])


def _child(parent: str, suffix: int) -> str:
    return str(suffix) if parent == ROOT else f"{parent}.{suffix}"


def _overlaps(leaf_pairs: pd.DataFrame, depth: int) -> pd.DataFrame:
    """Users per (previous node, new node) at ``depth``, with the nodes' sizes and Jaccard."""
    counts = leaf_pairs.assign(previous=leaf_pairs["previous"].map(lambda s: _ancestor(s, depth)),
                               new=leaf_pairs["new"].map(lambda s: _ancestor(s, depth)))
    counts = counts.dropna().groupby(["previous", "new"], as_index=False)["n"].sum()
    counts["n_previous"] = counts.groupby("previous")["n"].transform("sum")
    counts["n_new"] = counts.groupby("new")["n"].transform("sum")
    counts["jaccard"] = counts["n"] / (counts["n_previous"] + counts["n_new"] - counts["n"])
    return counts


def _common_leaf_pairs(previous_leaf: pd.Series, new_leaf: pd.Series) -> pd.DataFrame:
    """Leaf pairs over the users both versions segmented (indexes are user keys)."""
    common = previous_leaf.index.intersection(new_leaf.index)
    return _leaf_pairs(previous_leaf.loc[common].astype(str), new_leaf.loc[common].astype(str))


def stable_ids(previous_leaf: pd.Series, new_leaf: pd.Series, new_nodes: list[str],
               previous_nodes: list[str], noise_nodes: set[str] = frozenset(),
               min_jaccard: float = MIN_JACCARD) -> dict[str, str]:
    """new node id -> stable id, for every node of the new tree.

    ``previous_leaf`` / ``new_leaf``: each user's leaf, indexed by user (the users both versions
    segmented are compared). ``new_nodes`` / ``previous_nodes``: every segment id of each tree.
    ``noise_nodes``: new nodes holding users no cluster claimed (``<parent>.0``), which follow
    their parent."""
    leaf_pairs = _common_leaf_pairs(previous_leaf, new_leaf)
    mapping = {ROOT: ROOT, OUTLIER_SEGMENT: OUTLIER_SEGMENT}
    previous_children: dict[str, list[str]] = {}
    for node in previous_nodes:
        if node != OUTLIER_SEGMENT:
            previous_children.setdefault(_parent(node), []).append(node)
    new_by_depth: dict[int, list[str]] = {}
    for node in new_nodes:
        if node != OUTLIER_SEGMENT:
            new_by_depth.setdefault(node.count(".") + 1, []).append(node)

    for depth in sorted(new_by_depth):
        overlaps = _overlaps(leaf_pairs, depth)
        jaccard = {(r.previous, r.new): r.jaccard for r in overlaps.itertuples()}
        groups: dict[str, list[str]] = {}
        for node in sorted(new_by_depth[depth], key=segment_sort_key):
            groups.setdefault(mapping[_parent(node)], []).append(node)
        for stable_parent, children in groups.items():
            candidates = [c for c in previous_children.get(stable_parent, [])
                          if _suffix(c) != 0]
            clusters = [c for c in children if c not in noise_nodes]
            taken: set[int] = set()
            if candidates and clusters:
                scores = np.array([[jaccard.get((old, new), 0.0) for old in candidates]
                                   for new in clusters])
                for i, j in zip(*linear_sum_assignment(-scores), strict=True):
                    if scores[i, j] >= min_jaccard:
                        mapping[clusters[i]] = candidates[j]
                        taken.add(_suffix(candidates[j]))
            # new ids: above every suffix the previous version used under this parent
            used = {_suffix(c) for c in previous_children.get(stable_parent, [])} | taken | {0}
            fresh = max(used) + 1
            for node in children:
                if node in noise_nodes:
                    mapping[node] = _child(stable_parent, 0)
                elif node not in mapping:
                    mapping[node] = _child(stable_parent, fresh)
                    fresh += 1
    return mapping


def lineage(previous_leaf: pd.Series, new_leaf: pd.Series, previous_nodes: list[str],
            new_nodes: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What happened to every segment between two versions (ids already stable), and the
    migration matrix of leaves.

    Per segment id of either version, at its depth: ``kept`` (in both, neither split nor
    merged), ``split`` (in both, but at least two segments of the new version each take
    MIN_FLOW_SHARE of its users), ``merged`` (in both, but it takes MIN_FLOW_SHARE of its users
    from each of at least two previous segments), ``born`` (new id) or ``died`` (gone);
    with the segments its users came from and went to, over the users both versions have."""
    leaf_pairs = _common_leaf_pairs(previous_leaf, new_leaf)
    rows = []
    depths = {n.count(".") + 1 for n in [*previous_nodes, *new_nodes] if n != OUTLIER_SEGMENT}
    for depth in sorted(depths):
        flows = _overlaps(leaf_pairs, depth)
        flows["share_of_previous"] = flows["n"] / flows["n_previous"]
        flows["share_of_new"] = flows["n"] / flows["n_new"]
        at_depth = sorted({n for n in [*previous_nodes, *new_nodes]
                           if n != OUTLIER_SEGMENT and n.count(".") + 1 == depth},
                          key=segment_sort_key)
        for node in at_depth:
            went = flows[(flows["previous"] == node)
                         & (flows["share_of_previous"] >= MIN_FLOW_SHARE)]
            came = flows[(flows["new"] == node) & (flows["share_of_new"] >= MIN_FLOW_SHARE)]
            same = flows[(flows["previous"] == node) & (flows["new"] == node)]
            in_previous, in_new = node in previous_nodes, node in new_nodes
            if in_previous and in_new:
                status = ("split" if len(went) >= 2 else
                          "merged" if len(came) >= 2 else "kept")
            else:
                status = "died" if in_previous else "born"
            sizes_previous = flows.loc[flows["previous"] == node, "n_previous"]
            sizes_new = flows.loc[flows["new"] == node, "n_new"]
            rows.append({
                "segment_id": node,
                "depth": depth,
                "status": status,
                "previous_segment_ids": ",".join(sorted(came["previous"], key=segment_sort_key)),
                "next_segment_ids": ",".join(sorted(went["new"], key=segment_sort_key)),
                "jaccard": float(same["jaccard"].iloc[0]) if len(same) else 0.0,
                "n_users_previous": int(sizes_previous.iloc[0]) if len(sizes_previous) else 0,
                "n_users_next": int(sizes_new.iloc[0]) if len(sizes_new) else 0,
            })
    migrations = leaf_pairs.rename(columns={"previous": "previous_segment_id",
                                            "new": "segment_id", "n": "n_users"})
    return (pd.DataFrame(rows, columns=LINEAGE_COLUMNS),
            migrations[MIGRATION_COLUMNS].sort_values(MIGRATION_COLUMNS[:2],
                                                      ignore_index=True))
