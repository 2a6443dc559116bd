"""Recursive segmentation ("zoom in"): reduce, cluster, and recurse into each segment.

``SegmentTree`` follows the Spotify recursive embedding-and-clustering idea: fit a
reducer and a clusterer on all users, then, for every segment found, re-fit a fresh
reducer and clusterer on that segment's members only, so that structure blurred at
the top level can show up inside a segment.

Split criterion
---------------
A node is split into the clusters its clusterer chose only when all of these hold:

* depth < ``max_depth`` and the node has at least ``2 * min_size`` fitted users,
  where ``min_size = max(min_child_size, ceil(min_segment_share * n_fit_rows))``;
  the clusterer only considers candidates whose clusters all have ``min_size``
  users (density algorithms turn smaller clusters into noise);
* its ``input_quality`` (silhouette * (1 - noise_share), measured on at most
  ``null_sample_size`` rows in the node's *input* feature space, not in the reduced
  space: UMAP manufactures well separated blobs even from noise, so embedding-space
  silhouettes cannot be compared with a null) is at least ``split_min_silhouette``;
* it beats the **null reference** by ``split_null_margin``: the same reducer and
  clusterer (same candidate sweep, best quality over its valid candidates) are run
  on a structureless copy of the node's data of at most ``null_sample_size`` rows.
  ``null_reference="permute"`` permutes every feature independently (the one-hot
  columns of a categorical move together), which keeps each marginal and destroys
  joint structure; ``"gaussian"`` draws from a Gaussian with the
  node's mean and covariance (keeps correlation, destroys non-Gaussian shape);
  ``"copula"`` draws a Gaussian copula on the node's rank correlation whose columns
  take the node's own values (keeps zero-inflated and skewed marginals and their
  correlation: one correlated count population is not split; stricter, it also
  refuses some real segments, see BENCHMARKS.md). The null sweep skips stability
  and uses 3 KMeans restarts instead of 10.
  ``"both"`` (default) requires beating permute and gaussian, so neither a lumpy
  single column nor an elongated blob passes for a segment; ``"none"`` skips the check;
* the split is **stable**: a fresh reducer and the candidate refitted with another
  seed on a random subsample (at most ``stability_sample_size`` rows and 80% of the
  node) agree with the node's labels with ARI >= ``split_min_stability``. Candidates
  are tried in the clusterer's order of preference (at most
  ``max_candidates_tried``); the first stable one is the node's choice.

Otherwise the node is a leaf. ``model_selection_`` records every candidate of every
evaluated node plus the null quality, the stability and the reason for the decision.

Segment ids
-----------
Tree paths as strings: top level ``1``, ``2``, ...; children ``2.1``, ``2.2``.
Siblings are numbered by decreasing size in the fit sample (ties: the cluster whose
first member comes first), so ids are reproducible. When the root does not split,
everyone is in segment ``1``. The root node itself is called ``root`` in
``model_selection_`` and is not a row of ``segments_``.

* noise (HDBSCAN / DBSCAN): with ``noise_policy="nearest"`` noise users join the
  segment most of their ``n_neighbors`` nearest clustered neighbours belong to, with
  confidence ``0.5 * vote share`` and ``is_noise = True``; with ``"unassigned"`` they
  stay in a leaf ``<parent>.0`` (``0`` at the top level) that is never split;
* outliers (``outlier_policy`` of the preprocessor): ``flag`` fits with everyone;
  ``cap`` fits on winsorised values; ``exclude`` keeps them out of every fit and
  scores them afterwards like any unsampled user; ``own_segment`` puts them in
  segment ``-1`` (a top-level leaf, confidence 1).

Large inputs
------------
The preprocessor is fitted on every row (medians and quantiles are cheap). The tree
is fitted on at most ``fit_sample_size`` users (a uniform random sample); UMAP and
HDBSCAN never see more. Every other user is scored in one top-down pass: at each
split node a k-nearest-neighbour vote (``n_neighbors``) against at most
``score_reference_size`` of the node's fitted users gives the child and its
confidence (the vote share). The vote runs in the node's reduced space when the
reducer's transform is cheap (PCA, identity) and in the node's input feature space
for UMAP, whose ``transform`` is too slow for millions of rows.

Confidence
----------
Per level: KMeans ``1 - d1/d2``, HDBSCAN membership probability, DBSCAN 1 (core) /
0.5 (border), the vote share for scored users. A user's ``confidence`` is the product
of its per-level confidences along the path (1 for a single-segment tree).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata
from sklearn.base import BaseEstimator, clone
from sklearn.neighbors import KNeighborsClassifier

from ._validation import check_choice, check_number, check_seed, derive_seed
from .clusterers import CANDIDATE_COLUMNS, AutoClusterer, rank_candidates
from .diagnostics import (
    NOISE,
    SilhouetteSample,
    clusterwise_jaccard,
    sample_index,
    stability_ari,
)
from .preprocess import Preprocessor
from .reducers import PCAReducer

NOISE_POLICIES = ("nearest", "unassigned")
NULL_REFERENCES = ("both", "permute", "gaussian", "copula", "none")
ROOT = "root"
OUTLIER_SEGMENT = "-1"

ASSIGNMENT_COLUMNS = [
    "segment_id",
    "top_segment_id",
    "segment_path",
    "depth",
    "confidence",
    "is_outlier",
    "is_noise",
    "in_fit_sample",
]
SEGMENT_COLUMNS = [
    "segment_id",
    "parent_segment_id",
    "depth",
    "is_leaf",
    "n_users",
    "share_of_users",
    "n_fit",
    "algorithm",
    "split_algorithm",
    "n_children",
    "stability",
    "mean_confidence",
    "is_noise",
    "is_outlier_segment",
]
SELECTION_COLUMNS = (
    ["segment_id", "depth", "n_fit"]
    + CANDIDATE_COLUMNS
    + ["is_best", "input_quality", "null_quality", "node_stability", "did_split", "split_reason"]
)
EXPLAINED_VARIANCE_COLUMNS = [
    "segment_id",
    "component",
    "explained_variance_ratio",
    "cumulative",
    "is_kept",
]
LOG_COLUMNS = ["segment_id", "step", "name", "detail", "value"]


@dataclass
class _Node:
    segment_id: str
    parent: str | None
    depth: int
    rows: np.ndarray  # positions (in the full table) of the node's fitted users
    created_by: str = "none"
    jaccard: float = float("nan")
    is_noise: bool = False
    split: bool = False
    children: list = field(default_factory=list)  # child _Node per label index
    reducer: object = None
    scorer: object = None
    scoring_in_input_space: bool = False
    algorithm: str | None = None
    noise_rows: np.ndarray | None = None  # fitted users that were noise, reassigned (nearest)
    choice: tuple | None = None  # (algorithm, params) of the chosen split, for refits
    n_fit: int = 0


def _input_quality(sil: SilhouetteSample, labels: np.ndarray) -> float:
    """silhouette * (1 - noise share), measured in the node's input feature space."""
    labels = np.asarray(labels)
    return sil.score(labels) * float(np.mean(labels != NOISE))


def _nearest_cluster(E: np.ndarray, labels: np.ndarray, n_neighbors: int):
    """For the noise rows of ``labels``: the cluster most of their nearest clustered
    neighbours belong to, and that vote share."""
    members = np.flatnonzero(labels != NOISE)
    knn = KNeighborsClassifier(n_neighbors=min(n_neighbors, len(members)))
    knn.fit(E[members], labels[members])
    proba = knn.predict_proba(E[labels == NOISE])
    return knn.classes_[proba.argmax(axis=1)], proba.max(axis=1)


def _child_id(parent: str, rank: int) -> str:
    return str(rank) if parent == ROOT else f"{parent}.{rank}"


def _set_if(est, **params):
    """set_params for the parameters the estimator has; returns the estimator."""
    own = est.get_params(deep=False)
    est.set_params(**{k: v for k, v in params.items() if k in own})
    return est


def null_sample(Z: np.ndarray, kind: str, rng: np.random.Generator, groups) -> np.ndarray:
    """A structureless copy of ``Z`` (rows x features) of the same shape.

    ``gaussian``: one Gaussian with Z's mean and covariance (keeps correlation, loses
    every non-Gaussian shape); ``copula``: a Gaussian copula on Z's rank correlation whose
    columns are drawn from Z's own values (keeps each marginal, zero-inflated or skewed,
    and the correlation; loses clusters); ``permute``: every feature permuted on its own
    (keeps marginals, loses correlation). ``groups``: column lists that move together
    (the one-hot columns of a categorical).
    """
    n = len(Z)
    if kind == "gaussian":
        cov = np.atleast_2d(np.cov(Z, rowvar=False))
        return rng.multivariate_normal(Z.mean(axis=0), cov, size=n, method="eigh")
    out = np.empty_like(Z)
    if kind == "permute":
        for cols in groups:
            out[:, cols] = Z[rng.permutation(n)][:, cols]
        return out
    singles = [g[0] for g in groups if len(g) == 1]
    scores = norm.ppf((rankdata(Z[:, singles], axis=0) - 0.5) / n)
    with np.errstate(invalid="ignore", divide="ignore"):  # a constant column: no correlation
        corr = np.atleast_2d(np.corrcoef(scores, rowvar=False))
    corr = np.nan_to_num(corr, nan=0.0)
    np.fill_diagonal(corr, 1.0)
    g = rng.multivariate_normal(np.zeros(len(singles)), corr, size=n, method="eigh")
    pos = np.clip((norm.cdf(g) * n).astype(np.int64), 0, n - 1)
    out[:, singles] = np.take_along_axis(np.sort(Z[:, singles], axis=0), pos, axis=0)
    for cols in groups:
        if len(cols) > 1:
            out[:, cols] = Z[rng.permutation(n)][:, cols]
    return out


class SegmentTree(BaseEstimator):
    """Hierarchical user segmentation by recursive reduce-and-cluster.

    Parameters
    ----------
    preprocessor : Preprocessor or None, default=None
        None means ``Preprocessor()`` (key ``user_id``, no catalog, outliers flagged).
    reducer : reducer or None, default=None
        Template refitted at every node; None means ``PCAReducer()``.
    clusterer : clusterer or None, default=None
        Template refitted at every node; None means ``AutoClusterer()``.
    max_depth : int, default=3
        Depth of the deepest segments (top-level segments have depth 1).
    min_segment_share : float, default=0.01
    min_child_size : int, default=50
    split_min_silhouette : float, default=0.1
    split_null_margin : float, default=0.05
    split_min_stability : float, default=0.8
    null_reference : {"both", "permute", "gaussian", "copula", "none"}, default="both"
    null_sample_size : int, default=2000
    stability_sample_size : int, default=2000
    noise_policy : {"nearest", "unassigned"}, default="nearest"
    fit_sample_size : int, default=50_000
    score_reference_size : int, default=5000
    n_neighbors : int, default=15
    embedding_sample_size : int, default=5000
    max_candidates_tried : int, default=3
        How many candidates (in order of preference) the stability check may try
        before the node becomes a leaf.
    random_state : int or None, default=0

    Attributes
    ----------
    assignments_, segments_, model_selection_, embedding_2d_, preprocess_log_,
    explained_variance_ : DataFrame
    preprocessor_ : fitted Preprocessor
    n_fit_ : int
        Users the tree was fitted on.
    """

    def __init__(
        self,
        preprocessor=None,
        reducer=None,
        clusterer=None,
        max_depth=3,
        min_segment_share=0.01,
        min_child_size=50,
        split_min_silhouette=0.1,
        split_null_margin=0.05,
        split_min_stability=0.8,
        null_reference="both",
        null_sample_size=2000,
        stability_sample_size=2000,
        noise_policy="nearest",
        fit_sample_size=50_000,
        score_reference_size=5000,
        n_neighbors=15,
        embedding_sample_size=5000,
        max_candidates_tried=3,
        random_state=0,
    ):
        self.preprocessor = preprocessor
        self.reducer = reducer
        self.clusterer = clusterer
        self.max_depth = max_depth
        self.min_segment_share = min_segment_share
        self.min_child_size = min_child_size
        self.split_min_silhouette = split_min_silhouette
        self.split_null_margin = split_null_margin
        self.split_min_stability = split_min_stability
        self.null_reference = null_reference
        self.null_sample_size = null_sample_size
        self.stability_sample_size = stability_sample_size
        self.noise_policy = noise_policy
        self.fit_sample_size = fit_sample_size
        self.score_reference_size = score_reference_size
        self.n_neighbors = n_neighbors
        self.embedding_sample_size = embedding_sample_size
        self.max_candidates_tried = max_candidates_tried
        self.random_state = random_state

    # ------------------------------------------------------------------ params
    def _validate_params(self) -> int:
        check_number("max_depth", self.max_depth, low=1, integer=True)
        check_number("min_segment_share", self.min_segment_share, low=0.0, high=0.5)
        check_number("min_child_size", self.min_child_size, low=2, integer=True)
        check_number("split_min_silhouette", self.split_min_silhouette, low=-1.0, high=1.0)
        check_number("split_null_margin", self.split_null_margin, low=-1.0, high=1.0)
        check_number("split_min_stability", self.split_min_stability, low=-1.0, high=1.0)
        check_choice("null_reference", self.null_reference, NULL_REFERENCES)
        check_number("null_sample_size", self.null_sample_size, low=50, integer=True)
        check_number("stability_sample_size", self.stability_sample_size, low=50, integer=True)
        check_choice("noise_policy", self.noise_policy, NOISE_POLICIES)
        check_number("fit_sample_size", self.fit_sample_size, low=100, integer=True)
        check_number("score_reference_size", self.score_reference_size, low=50, integer=True)
        check_number("n_neighbors", self.n_neighbors, low=1, integer=True)
        check_number("embedding_sample_size", self.embedding_sample_size, low=10, integer=True)
        check_number("max_candidates_tried", self.max_candidates_tried, low=1, integer=True)
        for name, est, needed in (
            ("preprocessor", self.preprocessor, ("fit", "transform")),
            ("reducer", self.reducer, ("fit", "transform", "transform_2d")),
            ("clusterer", self.clusterer, ("fit", "fit_labels")),
        ):
            if est is not None and not all(hasattr(est, m) for m in needed):
                raise ValueError(
                    f"invalid value for parameter {name!r}: {type(est).__name__} lacks "
                    + "/".join(needed)
                )
        return check_seed("random_state", self.random_state)

    # --------------------------------------------------------------------- fit
    def fit(self, X, y=None):
        seed = self._validate_params()
        pre = clone(self.preprocessor) if self.preprocessor is not None else Preprocessor()
        pre.fit(X)
        self.preprocessor_ = pre
        key = pre.key
        Z = np.array(pre.transform(X).to_numpy(dtype=np.float64), copy=True)
        keys = X[key].to_numpy()
        n = len(Z)
        is_out = np.asarray(pre.is_outlier_, dtype=bool)
        policy = pre.outlier_policy
        eligible = ~is_out if policy in ("exclude", "own_segment") else np.ones(n, dtype=bool)
        pool = np.flatnonzero(eligible)
        if len(pool) > self.fit_sample_size:
            pick = sample_index(
                len(pool), int(self.fit_sample_size), derive_seed(seed, "fit_sample")
            )
            fit_rows = pool[pick]
        else:
            fit_rows = pool
        self.n_fit_ = len(fit_rows)
        self._Z, self._seed = Z, seed
        groups = [list(c) for _, c in getattr(pre, "feature_groups_", [])]
        covered = {c for g in groups for c in g}
        self._groups = groups + [[j] for j in range(Z.shape[1]) if j not in covered]
        self._min_size = max(
            int(self.min_child_size), math.ceil(self.min_segment_share * max(self.n_fit_, 1))
        )
        reducer_t = self.reducer if self.reducer is not None else PCAReducer()
        clusterer_t = self.clusterer if self.clusterer is not None else AutoClusterer()
        self._templates = (reducer_t, clusterer_t)

        leaf = np.full(n, "", dtype=object)
        conf = np.ones(n)
        noise = np.zeros(n, dtype=bool)
        in_fit = np.zeros(n, dtype=bool)
        in_fit[fit_rows] = True
        self._selection, self._ev = [], []
        root = _Node(ROOT, None, 0, fit_rows)
        self._nodes = {}
        stack = [root]
        while stack:
            node = stack.pop(0)
            self._nodes[node.segment_id] = node
            if node.is_noise:
                leaf[node.rows] = node.segment_id
                continue
            node_conf = self._fit_node(node, reducer_t, clusterer_t)
            if not node.split:
                leaf[node.rows] = node.segment_id if node.segment_id != ROOT else "1"
                continue
            conf[node.rows] *= node_conf
            for child in node.children:
                if child.is_noise:
                    noise[child.rows] = True
            stack.extend(node.children)
        if self.noise_policy == "nearest":
            for node in self._nodes.values():
                if node.split:
                    if node.noise_rows is not None:
                        noise[node.noise_rows] = True

        # Score every user that was not fitted.
        rest = np.flatnonzero(~in_fit & (eligible | (policy == "exclude")))
        if len(rest):
            self._route(root, Z, rest, leaf, conf, noise)
        if policy == "own_segment":
            leaf[is_out] = OUTLIER_SEGMENT
            conf[is_out] = 1.0
        self._root = root
        self._build_outputs(key, keys, leaf, conf, noise, is_out, in_fit, root)
        del self._Z
        return self

    # ------------------------------------------------------------- node level
    def _fit_node(self, node: _Node, reducer_t, clusterer_t) -> np.ndarray | None:
        Z, min_size = self._Z, self._min_size
        n = len(node.rows)
        nseed = derive_seed(self._seed, node.segment_id)
        if node.depth >= self.max_depth:
            return self._leaf(node, f"leaf: max_depth={self.max_depth} reached")
        if n < 2 * min_size:
            return self._leaf(node, f"leaf: too few users to split ({n} < 2 x min size {min_size})")
        Zn = Z[node.rows]
        reducer = _set_if(clone(reducer_t), random_state=derive_seed(nseed, "reducer"))
        try:
            reducer.fit(Zn)
        except ValueError as exc:
            return self._leaf(node, f"leaf: reducer failed ({exc})")
        node.reducer = reducer
        ev = reducer.explained_variance_
        if len(ev):
            self._ev.append(ev.assign(segment_id=node.segment_id))
        E = reducer.embedding_
        clusterer = _set_if(
            clone(clusterer_t),
            random_state=derive_seed(nseed, "clusterer"),
            min_cluster_size=min_size,
        )
        clusterer.fit(E)
        cands = clusterer.candidates_.copy()
        cands["node_stability"] = np.nan
        sil_in = SilhouetteSample(Zn, int(self.null_sample_size), derive_seed(nseed, "sil_in"))
        cands["input_quality"] = [
            _input_quality(sil_in, lab) if ok else np.nan
            for lab, ok in zip(clusterer.candidate_labels_, cands["is_valid"], strict=True)
        ]
        order = rank_candidates(
            cands,
            getattr(clusterer, "min_stability", 0.0),
            getattr(clusterer, "selection_tolerance", 0.0),
        )
        if not order:
            return self._leaf(
                node,
                f"leaf: no valid candidate (fewer than 2 clusters of at least {min_size} users)",
                cands,
            )
        null_q = self._null_quality(Zn, reducer_t, clusterer_t, nseed, min_size)
        # Stability: a fresh reducer (another seed) on a subsample; each candidate, in order
        # of preference, is refitted there until one agrees with its own labels.
        m = int(min(self.stability_sample_size, max(4, math.floor(0.8 * n))))
        sidx = sample_index(n, m, derive_seed(nseed, "stability"))
        sseed = derive_seed(nseed, "refit")
        try:
            E2 = _set_if(clone(reducer_t), random_state=sseed).fit(Zn[sidx]).embedding_
        except ValueError:
            E2 = None
        picked, jacc = order[0], {}
        for ci in order[: int(self.max_candidates_tried)]:
            if E2 is None:
                break
            alg = cands.loc[ci, "algorithm"]
            refit = clusterer.fit_labels(
                E2, alg, json.loads(cands.loc[ci, "params"]), sseed, len(sidx) / n
            )
            lab = clusterer.candidate_labels_[ci]
            cands.loc[ci, "node_stability"] = stability_ari(lab[sidx], refit)
            if cands.loc[ci, "node_stability"] >= self.split_min_stability:
                picked, jacc = ci, clusterwise_jaccard(lab[sidx], refit)
                break
        cands["is_chosen"] = cands.index == picked
        quality = float(cands.loc[picked, "input_quality"])
        stab = float(cands.loc[picked, "node_stability"])
        labels = clusterer.candidate_labels_[picked]
        algorithm = cands.loc[picked, "algorithm"]

        reasons = []
        if not quality >= self.split_min_silhouette:
            reasons.append(
                f"quality {quality:.3f} < split_min_silhouette {self.split_min_silhouette}"
            )
        if null_q is not None and not quality - null_q >= self.split_null_margin:
            reasons.append(
                f"quality {quality:.3f} does not beat null {null_q:.3f} by {self.split_null_margin}"
            )
        if not stab >= self.split_min_stability:
            reasons.append(f"stability {stab:.3f} < split_min_stability {self.split_min_stability}")
        summary = (
            f"{algorithm} {cands.loc[picked, 'params']}: quality {quality:.3f}, "
            f"null {'n/a' if null_q is None else f'{null_q:.3f}'}, stability {stab:.3f}"
        )
        if reasons:
            return self._leaf(node, "leaf: " + "; ".join(reasons) + f" [{summary}]", cands, null_q)

        # Split.
        node.split = True
        node.algorithm = algorithm
        node.choice = (algorithm, json.loads(cands.loc[picked, "params"]))
        node.n_fit = n
        conf = np.array(clusterer.candidate_confidence_[picked], dtype=float, copy=True)
        final = np.array(labels, copy=True)
        k = int(labels[labels != NOISE].max()) + 1
        noise_rows = np.flatnonzero(labels == NOISE)
        node.noise_rows = np.empty(0, dtype=np.int64)
        if len(noise_rows):
            if self.noise_policy == "nearest":
                final[noise_rows], share = _nearest_cluster(E, labels, int(self.n_neighbors))
                conf[noise_rows] = 0.5 * share
                node.noise_rows = node.rows[noise_rows]
            else:
                final[noise_rows] = k  # the noise leaf
                conf[noise_rows] = 1.0
        for j in range(k):
            rows = node.rows[final == j]
            node.children.append(
                _Node(
                    _child_id(node.segment_id, j + 1),
                    node.segment_id,
                    node.depth + 1,
                    rows,
                    created_by=node.algorithm,
                    jaccard=jacc.get(j, float("nan")),
                )
            )
        if (final == k).any():
            node.children.append(
                _Node(
                    _child_id(node.segment_id, 0),
                    node.segment_id,
                    node.depth + 1,
                    node.rows[final == k],
                    created_by="noise",
                    is_noise=True,
                )
            )
        # Scorer for users outside the fit sample.
        node.scoring_in_input_space = not getattr(reducer, "cheap_transform", True)
        space = Zn if node.scoring_in_input_space else E
        ref = sample_index(n, int(self.score_reference_size), derive_seed(nseed, "reference"))
        node.scorer = KNeighborsClassifier(n_neighbors=min(int(self.n_neighbors), len(ref)))
        node.scorer.fit(space[ref], final[ref])
        self._record(node, cands, null_q, True, f"split into {k} [{summary}]")
        return conf

    def _leaf(self, node, reason, cands=None, null_q=None):
        node.split = False
        self._record(node, cands, null_q, False, reason)
        return None

    def _record(self, node, cands, null_q, did_split, reason):
        if cands is None or cands.empty:
            cands = pd.DataFrame([{c: None for c in CANDIDATE_COLUMNS}])
            cands["is_chosen"] = False
            cands["is_valid"] = False
            cands["is_elbow"] = False
            cands["node_stability"] = np.nan
        cands = cands.copy()
        if "input_quality" not in cands:
            cands["input_quality"] = np.nan
        cands["is_best"] = cands["is_chosen"].astype(bool)
        cands["is_chosen"] = cands["is_best"] & did_split
        cands.insert(0, "segment_id", node.segment_id)
        cands.insert(1, "depth", node.depth)
        cands.insert(2, "n_fit", len(node.rows))
        cands["null_quality"] = np.nan if null_q is None else null_q
        cands["did_split"] = did_split
        cands["split_reason"] = reason
        self._selection.append(cands[SELECTION_COLUMNS])

    def _null_quality(self, Zn, reducer_t, clusterer_t, nseed, min_size):
        if self.null_reference == "none":
            return None
        n = len(Zn)
        idx = sample_index(n, int(self.null_sample_size), derive_seed(nseed, "null_sample"))
        Zs = Zn[idx]
        scaled_min = max(5, int(round(min_size * len(idx) / n)))
        kinds = ("permute", "gaussian") if self.null_reference == "both" else (self.null_reference,)
        best = 0.0
        for kind in kinds:
            rng = np.random.default_rng(derive_seed(nseed, "null", kind))
            Z0 = null_sample(Zs, kind, rng, self._groups)
            try:
                r0 = _set_if(
                    clone(reducer_t), random_state=derive_seed(nseed, "null_reducer", kind)
                )
                r0.fit(Z0)
                c0 = _set_if(
                    clone(clusterer_t),
                    random_state=derive_seed(nseed, "null_cl", kind),
                    min_cluster_size=scaled_min,
                    compute_stability=False,
                    n_init=3,
                    kmeans_n_init=3,
                )
                c0.fit(r0.embedding_)
            except ValueError:
                continue
            sil0 = SilhouetteSample(Z0, len(Z0), 0)
            for lab, ok in zip(c0.candidate_labels_, c0.candidates_["is_valid"], strict=True):
                if ok:
                    q = _input_quality(sil0, lab)
                    if np.isfinite(q):
                        best = max(best, q)
        return best

    # --------------------------------------------------------------- scoring
    def _route(self, root, Z, rows, leaf, conf, noise, chunk=100_000):
        stack = [(root, rows)]
        while stack:
            node, pos = stack.pop()
            if not len(pos):
                continue
            if not node.split:
                leaf[pos] = node.segment_id if node.segment_id != ROOT else "1"
                continue
            labels = np.empty(len(pos), dtype=np.int64)
            for s in range(0, len(pos), chunk):
                part = pos[s : s + chunk]
                Zp = Z[part]
                space = Zp if node.scoring_in_input_space else node.reducer.transform(Zp)
                proba = node.scorer.predict_proba(space)
                labels[s : s + chunk] = node.scorer.classes_[proba.argmax(axis=1)]
                conf[part] *= proba.max(axis=1)
            for j, child in enumerate(node.children):
                lab = len(node.children) - 1 if child.is_noise else j
                sel = pos[labels == lab]
                if child.is_noise:
                    noise[sel] = True
                stack.append((child, sel))

    # --------------------------------------------------------------- outputs
    def _build_outputs(self, key, keys, leaf, conf, noise, is_out, in_fit, root):
        leaf = leaf.astype(str)
        depth = np.array([s.count(".") + 1 for s in leaf], dtype=np.int64)
        top = np.array([s.split(".")[0] for s in leaf], dtype=object)
        paths = np.array([segment_path(s) for s in leaf], dtype=object)
        self.assignments_ = pd.DataFrame(
            {
                key: keys,
                "segment_id": leaf,
                "top_segment_id": top.astype(str),
                "segment_path": paths.astype(str),
                "depth": depth,
                "confidence": np.clip(conf, 0.0, 1.0),
                "is_outlier": is_out,
                "is_noise": noise,
                "in_fit_sample": in_fit,
            }
        )
        n = len(leaf)
        counts = pd.Series(leaf).value_counts()
        rows = []

        def users_under(seg):
            sel = [s for s in counts.index if s == seg or s.startswith(seg + ".")]
            return int(counts[sel].sum()) if sel else 0

        def mean_conf(seg):
            sel = (self.assignments_["segment_id"] == seg) | self.assignments_[
                "segment_id"
            ].str.startswith(seg + ".")
            return float(self.assignments_.loc[sel, "confidence"].mean()) if sel.any() else np.nan

        nodes = [nd for sid, nd in self._nodes.items() if sid != ROOT]
        if not root.split:
            nodes = [_Node("1", None, 1, root.rows, created_by="none")]
        for nd in nodes:
            nu = users_under(nd.segment_id)
            rows.append(
                {
                    "segment_id": nd.segment_id,
                    "parent_segment_id": None if nd.parent in (None, ROOT) else nd.parent,
                    "depth": nd.depth,
                    "is_leaf": not nd.split,
                    "n_users": nu,
                    "share_of_users": nu / n,
                    "n_fit": len(nd.rows),
                    "algorithm": nd.created_by,
                    "split_algorithm": nd.algorithm if nd.split else None,
                    "n_children": len(nd.children) if nd.split else 0,
                    "stability": nd.jaccard,
                    "mean_confidence": mean_conf(nd.segment_id),
                    "is_noise": nd.is_noise,
                    "is_outlier_segment": False,
                }
            )
        if (leaf == OUTLIER_SEGMENT).any():
            nu = int(counts[OUTLIER_SEGMENT])
            rows.append(
                {
                    "segment_id": OUTLIER_SEGMENT,
                    "parent_segment_id": None,
                    "depth": 1,
                    "is_leaf": True,
                    "n_users": nu,
                    "share_of_users": nu / n,
                    "n_fit": 0,
                    "algorithm": "outlier_policy",
                    "split_algorithm": None,
                    "n_children": 0,
                    "stability": np.nan,
                    "mean_confidence": 1.0,
                    "is_noise": False,
                    "is_outlier_segment": True,
                }
            )
        seg = pd.DataFrame(rows, columns=SEGMENT_COLUMNS)
        seg["_order"] = seg["segment_id"].map(segment_sort_key)
        self.segments_ = seg.sort_values("_order").drop(columns="_order").reset_index(drop=True)
        self.model_selection_ = pd.concat(self._selection, ignore_index=True)
        ev = (
            pd.concat(self._ev, ignore_index=True)[EXPLAINED_VARIANCE_COLUMNS]
            if self._ev
            else pd.DataFrame(columns=EXPLAINED_VARIANCE_COLUMNS)
        )
        self.explained_variance_ = ev

        log = self.preprocessor_.log_.assign(segment_id=ROOT)[LOG_COLUMNS]
        ev_log = pd.DataFrame(
            {
                "segment_id": ev["segment_id"],
                "step": "explained_variance",
                "name": "PC" + ev["component"].astype(str),
                "detail": ["kept" if k else "dropped" for k in ev["is_kept"]]
                if len(ev)
                else pd.Series([], dtype=object),
                "value": ev["explained_variance_ratio"].astype(float),
            }
        )
        self.preprocess_log_ = pd.concat([log, ev_log], ignore_index=True)[LOG_COLUMNS]

        # 2-D embedding of a bounded sample of fitted users (root reducer).
        fit_rows = root.rows
        pick = sample_index(
            len(fit_rows), int(self.embedding_sample_size), derive_seed(self._seed, "embedding")
        )
        if root.reducer is not None:
            xy = root.reducer.embedding_2d_[pick]
        else:
            xy = PCAReducer().fit(self._Z[fit_rows[pick]]).embedding_2d_
        rows_xy = fit_rows[pick]
        self.embedding_2d_ = pd.DataFrame(
            {
                key: keys[rows_xy],
                "x": xy[:, 0],
                "y": xy[:, 1],
                "segment_id": leaf[rows_xy],
                "top_segment_id": top[rows_xy].astype(str),
            }
        )
        for nd in self._nodes.values():  # drop row positions: not needed after fit
            nd.rows = None
            nd.noise_rows = None

    def split_nodes(self) -> list[str]:
        """Ids of the nodes that split (``root`` first), in the order they were fitted."""
        return [sid for sid, node in self._nodes.items() if node.split]

    def relabel(self, mapping: dict[str, str]) -> SegmentTree:
        """Rename segments (``old id -> new id`` for every node; ids absent stay): the nodes
        that score new users and every fitted table. Used to keep ids stable across refits."""

        def rename(value):
            return mapping.get(value, value) if isinstance(value, str) else value

        for node in self._nodes.values():
            node.segment_id = rename(node.segment_id)
            node.parent = rename(node.parent)
        self._nodes = {node.segment_id: node for node in self._nodes.values()}
        # per distinct leaf, then spread by code: a million users cost one pass
        codes, leaves = pd.factorize(self.assignments_["segment_id"].astype(str))
        renamed = np.array([rename(leaf) for leaf in leaves], dtype=object)
        self.assignments_ = self.assignments_.assign(
            segment_id=renamed[codes].astype(str),
            top_segment_id=np.array([r.split(".")[0] for r in renamed], dtype=object)[codes]
            .astype(str),
            segment_path=np.array([segment_path(r) for r in renamed], dtype=object)[codes]
            .astype(str),
        )
        segments = self.segments_.assign(
            segment_id=self.segments_["segment_id"].map(rename),
            parent_segment_id=self.segments_["parent_segment_id"].map(rename),
        )
        order = segments["segment_id"].map(segment_sort_key)
        self.segments_ = segments.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(
            drop=True)
        for name in ("model_selection_", "preprocess_log_", "explained_variance_"):
            table = getattr(self, name)
            setattr(self, name, table.assign(segment_id=table["segment_id"].map(rename)))
        embedding_leaf = self.embedding_2d_["segment_id"].map(rename).astype(str)
        self.embedding_2d_ = self.embedding_2d_.assign(
            segment_id=embedding_leaf, top_segment_id=embedding_leaf.str.split(".").str[0])
        return self

    def refit_split(self, segment_id: str, Z, random_state: int) -> np.ndarray:
        """Cluster labels of a node's chosen split refitted from scratch on other rows.

        ``Z``: preprocessed rows (``preprocessor_.transform``) of the node's users, e.g. a
        bootstrap sample or one signup cohort. A fresh reducer and the chosen algorithm with
        its chosen parameters (size-like ones scaled to ``len(Z)``) are fitted with
        ``random_state``; noise is labelled -1, or joins its nearest cluster under
        ``noise_policy="nearest"`` as in the fit. Used by the stability checks.
        """
        node = self._nodes.get(segment_id)
        if node is None or not node.split:
            raise ValueError(f"segment {segment_id!r} is not a split node of this tree")
        reducer_t, clusterer_t = self._templates
        Z = np.asarray(Z, dtype=np.float64)
        embedding = _set_if(clone(reducer_t), random_state=random_state).fit(Z).embedding_
        clusterer = _set_if(clone(clusterer_t), min_cluster_size=self._min_size)
        algorithm, params = node.choice
        scale = len(Z) / node.n_fit
        labels = clusterer.fit_labels(embedding, algorithm, params, random_state, scale)
        noise = labels == NOISE
        if self.noise_policy == "nearest" and noise.any() and not noise.all():
            labels[noise], _ = _nearest_cluster(embedding, labels, int(self.n_neighbors))
        return labels

    def predict(self, X) -> pd.DataFrame:
        """Score users (new or not) through the fitted tree, like unsampled users in fit.

        Returns ``key, segment_id, confidence``. Outliers are routed like everyone
        else except under ``outlier_policy="own_segment"`` (segment ``-1``).
        """
        return self.score(X).drop(columns="is_noise")

    def score(self, X) -> pd.DataFrame:
        """``predict``, plus ``is_noise``: the user went down a noise branch somewhere."""
        if not hasattr(self, "assignments_"):
            raise ValueError("this SegmentTree is not fitted yet: call fit first")
        pre = self.preprocessor_
        Z = np.array(pre.transform(X).to_numpy(dtype=np.float64), copy=True)
        n = len(Z)
        leaf = np.full(n, "", dtype=object)
        conf = np.ones(n)
        noise = np.zeros(n, dtype=bool)
        self._route(self._root, Z, np.arange(n), leaf, conf, noise)
        if pre.outlier_policy == "own_segment":
            out = pre.is_outlier(X)
            leaf[out] = OUTLIER_SEGMENT
            conf[out] = 1.0
        return pd.DataFrame({pre.key: X[pre.key].to_numpy(), "segment_id": leaf.astype(str),
                             "confidence": conf, "is_noise": noise})

    def fit_predict(self, X, y=None):
        return self.fit(X).assignments_["segment_id"].to_numpy()


def segment_path(segment_id: str) -> str:
    """The ids from the top-level segment down to this one: ``2 > 2.1 > 2.1.3``."""
    parts = segment_id.split(".")
    return " > ".join(".".join(parts[: i + 1]) for i in range(len(parts)))


def segment_sort_key(segment_id: str):
    return tuple(int(p) for p in segment_id.split("."))
