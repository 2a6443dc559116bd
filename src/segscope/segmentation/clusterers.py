"""Clusterers that sweep candidates and pick one on shared diagnostics.

Every clusterer evaluates a list of candidates (an algorithm plus parameters) on
the same rows and records each in ``candidates_``:

``algorithm, params (json), n_clusters, silhouette, davies_bouldin,
calinski_harabasz, inertia, noise_share, stability, quality, is_valid, is_elbow,
is_chosen``

* ``silhouette`` is computed on a fixed random sample of at most
  ``silhouette_sample_size`` rows (the same rows for every candidate), noise
  excluded; ``quality = silhouette * (1 - noise_share)``.
* ``stability`` is the adjusted Rand index between the candidate's labels and a
  refit of the same candidate (another seed) on a random subsample of at most
  ``stability_sample_size`` rows (and at most 80% of the rows), compared on that
  subsample. Noise counts as a label.
* ``is_valid``: at least two clusters, and (KMeans) no cluster smaller than
  ``min_cluster_size``. Density algorithms turn clusters smaller than
  ``min_cluster_size`` into noise instead.

**Choice rule** (the same for every clusterer, ``AutoClusterer`` included): among
valid candidates whose stability is at least ``min_stability`` (all valid ones if
none is), take the highest ``quality``; every candidate within
``selection_tolerance`` of it is a tie, and ties go to the fewest clusters, then
the lowest noise share, then the earliest candidate (kmeans before hdbscan before
dbscan, smaller k first). For KMeans this is "best silhouette, ties toward smaller
k"; the elbow of the inertia curve (point farthest from the chord) is reported in
``is_elbow`` but does not decide.

After ``fit``: ``labels_`` (``-1`` = noise), ``confidence_`` in [0, 1],
``n_clusters_``, ``algorithm_``, ``params_`` and ``candidates_``, plus
``candidate_labels_`` / ``candidate_confidence_`` (one array per candidate row) so
that a caller (the tree) can fall back to the next candidate. If no candidate
is valid, ``labels_`` is all zeros, ``n_clusters_ == 1`` and ``algorithm_`` is None.

Confidence per algorithm: KMeans ``1 - d1 / d2`` (distances to the nearest and
second nearest centroid: 1 at a centroid, 0 on a boundary); HDBSCAN its membership
probability; DBSCAN 1 for core points, 0.5 for border points; noise 0.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.cluster import DBSCAN, KMeans
from sklearn.neighbors import NearestNeighbors
from threadpoolctl import threadpool_limits

from ._validation import as_float_matrix, check_number, check_seed, derive_seed
from .diagnostics import (
    NOISE,
    SilhouetteSample,
    cluster_scores,
    knee_index,
    sample_index,
    stability_ari,
)

CANDIDATE_COLUMNS = [
    "algorithm",
    "params",
    "n_clusters",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "inertia",
    "noise_share",
    "stability",
    "quality",
    "is_valid",
    "is_elbow",
    "is_chosen",
]
ALGORITHMS = ("kmeans", "hdbscan", "dbscan")


def _small_to_noise(labels: np.ndarray, min_size: int | None) -> np.ndarray:
    """Relabel clusters smaller than ``min_size`` as noise and renumber 0..k-1 by size."""
    labels = np.asarray(labels).copy()
    if min_size:
        for lab, cnt in zip(*np.unique(labels[labels != NOISE], return_counts=True), strict=True):
            if cnt < min_size:
                labels[labels == lab] = NOISE
    return _renumber(labels)


def _renumber(labels: np.ndarray) -> np.ndarray:
    """Renumber clusters 0..k-1 by decreasing size (ties: first occurrence); noise stays -1."""
    labels = np.asarray(labels)
    out = np.full(len(labels), NOISE, dtype=np.int64)
    member = labels != NOISE
    if not member.any():
        return out
    labs, first, counts = np.unique(labels[member], return_index=True, return_counts=True)
    order = sorted(range(len(labs)), key=lambda i: (-counts[i], first[i]))
    mapping = {labs[i]: r for r, i in enumerate(order)}
    out[member] = [mapping[v] for v in labels[member]]
    return out


class _SweepClusterer(ClusterMixin, BaseEstimator):
    """Shared machinery: candidate evaluation, stability, choice."""

    def _validate_common(self):
        check_number(
            "min_cluster_size", self.min_cluster_size, low=2, integer=True, allow_none=True
        )
        check_number("silhouette_sample_size", self.silhouette_sample_size, low=10, integer=True)
        check_number("stability_sample_size", self.stability_sample_size, low=10, integer=True)
        check_number("min_stability", self.min_stability, low=0.0, high=1.0)
        check_number("selection_tolerance", self.selection_tolerance, low=0.0, high=1.0)
        if not isinstance(self.compute_stability, bool):
            raise ValueError(
                f"invalid value for parameter 'compute_stability': {self.compute_stability!r}; "
                "expected True or False"
            )
        return check_seed("random_state", self.random_state)

    # subclasses: _validate_own(), _candidate_params(X, seed), _fit_one(X, params, seed, scale)
    def fit(self, X, y=None):
        seed = self._validate_common()
        self._validate_own()
        X = as_float_matrix(X)
        if X.shape[0] < 4:
            raise ValueError(f"{type(self).__name__} needs at least 4 rows, got {X.shape[0]}")
        results = self._evaluate(X, seed)
        self._finish(X, results)
        return self

    def _evaluate(self, X: np.ndarray, seed: int, sil=None) -> list[dict]:
        n = X.shape[0]
        if sil is None:
            sil = SilhouetteSample(
                X, int(self.silhouette_sample_size), derive_seed(seed, "silhouette")
            )
        m = int(min(self.stability_sample_size, max(4, math.floor(0.8 * n))))
        stab_idx = sample_index(n, m, derive_seed(seed, "stability"))
        results = []
        for algorithm, params in self._candidate_params(X, seed):
            labels, conf = self._fit_one(X, algorithm, params, seed, 1.0)
            labels = self._post(algorithm, labels)
            scores = cluster_scores(X, labels, sil)
            valid = scores["n_clusters"] >= 2
            if valid and algorithm == "kmeans" and self.min_cluster_size:
                valid = np.bincount(labels[labels != NOISE]).min() >= self.min_cluster_size
            stability = np.nan
            if self.compute_stability and valid:
                refit, _ = self._fit_one(
                    X[stab_idx], algorithm, params, derive_seed(seed, "refit"), len(stab_idx) / n
                )
                stability = stability_ari(labels[stab_idx], refit)
            results.append(
                {
                    "algorithm": algorithm,
                    "params": params,
                    "labels": labels,
                    "confidence": conf,
                    **scores,
                    "stability": stability,
                    "is_valid": bool(valid),
                }
            )
        return results

    def _post(self, algorithm: str, labels: np.ndarray) -> np.ndarray:
        if algorithm == "kmeans":
            return _renumber(labels)
        return _small_to_noise(labels, self.min_cluster_size)

    def _finish(self, X: np.ndarray, results: list[dict]) -> None:
        rows = []
        for r in results:
            rows.append(
                {k: r[k] for k in CANDIDATE_COLUMNS if k in r}
                | {
                    "params": json.dumps(r["params"], sort_keys=True),
                    "is_elbow": False,
                    "is_chosen": False,
                }
            )
        table = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
        km = table.index[table["algorithm"] == "kmeans"]
        if len(km) >= 3:
            table.loc[km[knee_index(table.loc[km, "inertia"].to_numpy())], "is_elbow"] = True
        chosen = choose_candidate(table, self.min_stability, self.selection_tolerance)
        self.candidate_labels_ = [r["labels"] for r in results]
        self.candidate_confidence_ = [
            np.where(r["labels"] == NOISE, 0.0, np.clip(np.asarray(r["confidence"], float), 0, 1))
            for r in results
        ]
        n = X.shape[0]
        if chosen is None:
            self.labels_ = np.zeros(n, dtype=np.int64)
            self.confidence_ = np.ones(n)
            self.n_clusters_ = 1
            self.algorithm_ = None
            self.params_ = None
        else:
            table.loc[chosen, "is_chosen"] = True
            r = results[chosen]
            self.labels_ = r["labels"]
            conf = np.clip(np.asarray(r["confidence"], dtype=float), 0.0, 1.0)
            conf[self.labels_ == NOISE] = 0.0
            self.confidence_ = conf
            self.n_clusters_ = int(r["n_clusters"])
            self.algorithm_ = r["algorithm"]
            self.params_ = dict(r["params"])
        self.candidates_ = table

    def fit_labels(
        self, X, algorithm: str, params: dict, random_state: int = 0, size_scale: float = 1.0
    ) -> np.ndarray:
        """Labels of one candidate refitted on ``X`` (used for stability checks).

        ``size_scale`` shrinks size-like parameters when ``X`` is a subsample.
        """
        X = as_float_matrix(X)
        labels, _ = self._fit_one(X, algorithm, params, random_state, size_scale)
        return self._post(algorithm, labels)


def rank_candidates(table: pd.DataFrame, min_stability: float, tolerance: float) -> list:
    """Valid candidates in order of preference (repeatedly applying the choice rule)."""
    order, rest = [], table
    while True:
        pick = choose_candidate(rest, min_stability, tolerance)
        if pick is None:
            return order
        order.append(pick)
        rest = rest.drop(index=pick)


def choose_candidate(table: pd.DataFrame, min_stability: float, tolerance: float):
    """Index of the chosen row of a candidates table (see module docstring), or None."""
    valid = table[table["is_valid"] & table["quality"].notna()]
    if valid.empty:
        return None
    stable = valid[valid["stability"].isna() | (valid["stability"] >= min_stability)]
    pool = stable if not stable.empty else valid
    best = pool["quality"].max()
    near = pool[pool["quality"] >= best - tolerance]
    order = near.assign(_pos=np.arange(len(near))).sort_values(
        ["n_clusters", "noise_share", "_pos"], kind="stable"
    )
    return order.index[0]


# ---------------------------------------------------------------------- KMeans
def _kmeans(X, k, seed, n_init):
    model = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    if len(X) < 20_000:  # OpenMP start-up costs more than it saves on small nodes
        with threadpool_limits(limits=1, user_api="openmp"):
            model.fit(X)
    else:
        model.fit(X)
    d = model.transform(X)
    d.sort(axis=1)
    conf = 1.0 - d[:, 0] / np.maximum(d[:, 1], 1e-12) if k > 1 else np.ones(len(X))
    return model.labels_.astype(np.int64), conf


class KMeansClusterer(_SweepClusterer):
    """KMeans for every k in ``[k_min, k_max]`` (capped at n_rows - 1).

    Parameters
    ----------
    k_min : int, default=2
    k_max : int, default=12
    n_init : int, default=10
    min_cluster_size : int or None, default=None
        Candidates with a smaller cluster are not valid.
    silhouette_sample_size, stability_sample_size : int, default=2000
    min_stability : float, default=0.5
    selection_tolerance : float, default=0.02
    compute_stability : bool, default=True
    random_state : int or None, default=None
    """

    def __init__(
        self,
        k_min=2,
        k_max=12,
        n_init=10,
        min_cluster_size=None,
        silhouette_sample_size=2000,
        stability_sample_size=2000,
        min_stability=0.5,
        selection_tolerance=0.02,
        compute_stability=True,
        random_state=None,
    ):
        self.k_min = k_min
        self.k_max = k_max
        self.n_init = n_init
        self.min_cluster_size = min_cluster_size
        self.silhouette_sample_size = silhouette_sample_size
        self.stability_sample_size = stability_sample_size
        self.min_stability = min_stability
        self.selection_tolerance = selection_tolerance
        self.compute_stability = compute_stability
        self.random_state = random_state

    def _validate_own(self):
        check_number("k_min", self.k_min, low=2, integer=True)
        check_number("k_max", self.k_max, low=2, integer=True)
        if self.k_max < self.k_min:
            raise ValueError(
                "invalid values for parameters 'k_min'/'k_max': "
                f"k_max={self.k_max} < k_min={self.k_min}"
            )
        check_number("n_init", self.n_init, low=1, integer=True)

    def _candidate_params(self, X, seed):
        k_hi = min(int(self.k_max), X.shape[0] - 1)
        return [("kmeans", {"k": k}) for k in range(int(self.k_min), k_hi + 1)]

    def _fit_one(self, X, algorithm, params, seed, size_scale):
        return _kmeans(X, int(params["k"]), seed, int(self.n_init))


# --------------------------------------------------------------------- HDBSCAN
def _hdbscan(X, min_cluster_size, min_samples, method):
    import hdbscan

    min_cluster_size = int(max(2, min(min_cluster_size, X.shape[0] - 1)))
    min_samples = int(max(1, min(min_samples, X.shape[0] - 1)))
    model = hdbscan.HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min_samples,
        cluster_selection_method=method,
        core_dist_n_jobs=1,
    ).fit(X)
    return model.labels_.astype(np.int64), np.asarray(model.probabilities_, dtype=float)


class HDBSCANClusterer(_SweepClusterer):
    """HDBSCAN with ``min_cluster_size = max(ceil(min_cluster_share * n), min_cluster_size, 5)``.

    Parameters
    ----------
    min_cluster_share : float, default=0.02
    min_samples : int or None, default=None
        None means ``min(min_cluster_size, 25)`` (keeps the core-distance step cheap).
    cluster_selection_method : {"eom", "leaf"}, default="eom"
    (common parameters as in ``KMeansClusterer``)
    """

    def __init__(
        self,
        min_cluster_share=0.02,
        min_samples=None,
        cluster_selection_method="eom",
        min_cluster_size=None,
        silhouette_sample_size=2000,
        stability_sample_size=2000,
        min_stability=0.5,
        selection_tolerance=0.02,
        compute_stability=True,
        random_state=None,
    ):
        self.min_cluster_share = min_cluster_share
        self.min_samples = min_samples
        self.cluster_selection_method = cluster_selection_method
        self.min_cluster_size = min_cluster_size
        self.silhouette_sample_size = silhouette_sample_size
        self.stability_sample_size = stability_sample_size
        self.min_stability = min_stability
        self.selection_tolerance = selection_tolerance
        self.compute_stability = compute_stability
        self.random_state = random_state

    def _validate_own(self):
        check_number(
            "min_cluster_share", self.min_cluster_share, low=0.0, high=0.5, low_inclusive=False
        )
        check_number("min_samples", self.min_samples, low=1, integer=True, allow_none=True)
        if self.cluster_selection_method not in ("eom", "leaf"):
            raise ValueError(
                "invalid value for parameter 'cluster_selection_method': "
                f"{self.cluster_selection_method!r}; allowed values: 'eom', 'leaf'"
            )

    def _candidate_params(self, X, seed):
        n = X.shape[0]
        mcs = max(5, math.ceil(self.min_cluster_share * n), int(self.min_cluster_size or 0))
        ms = int(self.min_samples) if self.min_samples is not None else min(mcs, 25)
        return [
            (
                "hdbscan",
                {
                    "min_cluster_size": mcs,
                    "min_samples": ms,
                    "cluster_selection_method": self.cluster_selection_method,
                },
            )
        ]

    def _fit_one(self, X, algorithm, params, seed, size_scale):
        mcs = max(2, int(round(params["min_cluster_size"] * size_scale)))
        return _hdbscan(X, mcs, params["min_samples"], params["cluster_selection_method"])

    def _post(self, algorithm, labels):
        return _small_to_noise(labels, None)


# ---------------------------------------------------------------------- DBSCAN
# DBSCAN keeps every point's eps-neighbourhood in memory: in a dense node that grows with the
# square of its size (13 GiB on a 50k-user node). Above this many rows it runs on a sample.
DBSCAN_MAX_ROWS = 10_000


def _dbscan(X, eps, min_samples, seed=0):
    """DBSCAN labels and confidence (1 core, 0.5 border, 0 noise).

    Above DBSCAN_MAX_ROWS rows it is fitted on a random sample (min_samples scaled to the
    sample, so densities mean the same) and every other row takes the label of its nearest core
    sample when that lies within eps, else it is noise."""
    n = X.shape[0]
    if n <= DBSCAN_MAX_ROWS:
        model = DBSCAN(eps=eps, min_samples=int(max(2, min_samples))).fit(X)
        labels = model.labels_.astype(np.int64)
        conf = np.where(labels == NOISE, 0.0, 0.5)
        conf[model.core_sample_indices_] = 1.0
        return labels, conf
    idx = sample_index(n, DBSCAN_MAX_ROWS, derive_seed(seed, "dbscan_sample"))
    scaled = max(2, int(round(min_samples * DBSCAN_MAX_ROWS / n)))
    sample_labels, sample_conf = _dbscan(X[idx], eps, scaled)
    labels = np.full(n, NOISE, dtype=np.int64)
    conf = np.zeros(n)
    core = idx[sample_conf == 1.0]
    if len(core):
        distance, nearest = NearestNeighbors(n_neighbors=1).fit(X[core]).kneighbors(X)
        near = distance[:, 0] <= eps
        labels[near] = sample_labels[sample_conf == 1.0][nearest[near, 0]]
        conf[near] = 0.5
    labels[idx], conf[idx] = sample_labels, sample_conf
    return labels, conf


class DBSCANClusterer(_SweepClusterer):
    """DBSCAN with ``eps`` read off the knee of the sorted k-distance curve.

    Parameters
    ----------
    min_samples : int or None, default=None
        None means ``max(5, 2 * n_dims)`` (capped at 50); also the k of the k-distance.
    eps : float or None, default=None
        None means the knee of the k-distance curve (on at most 5,000 rows).
    eps_factors : tuple of float, default=(0.75, 1.0, 1.5)
        One candidate per multiple of the knee ``eps``.
    (common parameters as in ``KMeansClusterer``)
    """

    def __init__(
        self,
        min_samples=None,
        eps=None,
        eps_factors=(0.75, 1.0, 1.5),
        min_cluster_size=None,
        silhouette_sample_size=2000,
        stability_sample_size=2000,
        min_stability=0.5,
        selection_tolerance=0.02,
        compute_stability=True,
        random_state=None,
    ):
        self.min_samples = min_samples
        self.eps = eps
        self.eps_factors = eps_factors
        self.min_cluster_size = min_cluster_size
        self.silhouette_sample_size = silhouette_sample_size
        self.stability_sample_size = stability_sample_size
        self.min_stability = min_stability
        self.selection_tolerance = selection_tolerance
        self.compute_stability = compute_stability
        self.random_state = random_state

    def _validate_own(self):
        check_number("min_samples", self.min_samples, low=2, integer=True, allow_none=True)
        check_number("eps", self.eps, low=0.0, low_inclusive=False, allow_none=True)
        factors = self.eps_factors
        if not isinstance(factors, (tuple, list)) or not factors:
            raise ValueError(
                f"invalid value for parameter 'eps_factors': {factors!r}; "
                "expected a non-empty tuple"
            )
        for f in factors:
            check_number("eps_factors", f, low=0.0, low_inclusive=False)

    def _candidate_params(self, X, seed):
        n, p = X.shape
        ms = int(self.min_samples) if self.min_samples is not None else min(50, max(5, 2 * p))
        ms = min(ms, n - 1)
        if self.eps is not None:
            base = float(self.eps)
        else:
            idx = sample_index(n, 5000, derive_seed(seed, "kdist"))
            nn = NearestNeighbors(n_neighbors=min(ms, len(idx) - 1) + 1).fit(X[idx])
            kd = np.sort(nn.kneighbors(X[idx])[0][:, -1])
            base = float(kd[knee_index(kd)])
            if base <= 0:
                base = float(kd[kd > 0].min()) if (kd > 0).any() else 1e-6
        return [
            # six significant digits, not decimals: a tight node's eps must not round to 0
            ("dbscan", {"eps": float(f"{base * f:.6g}"), "min_samples": ms, "eps_factor": f})
            for f in self.eps_factors
        ]

    def _fit_one(self, X, algorithm, params, seed, size_scale):
        ms = max(2, int(round(params["min_samples"] * size_scale)))
        return _dbscan(X, params["eps"], ms, seed)


# ------------------------------------------------------------------------ Auto
class AutoClusterer(_SweepClusterer):
    """Run KMeans, HDBSCAN and DBSCAN candidates and choose with the common rule.

    Parameters
    ----------
    algorithms : tuple, default=("kmeans", "hdbscan", "dbscan")
    k_min, k_max : int, default=2, 12
    kmeans_n_init : int, default=10
    min_cluster_share : float, default=0.02
        HDBSCAN minimum cluster share.
    hdbscan_min_samples, dbscan_min_samples : int or None, default=None
    (common parameters as in ``KMeansClusterer``)
    """

    def __init__(
        self,
        algorithms=ALGORITHMS,
        k_min=2,
        k_max=12,
        kmeans_n_init=10,
        min_cluster_share=0.02,
        hdbscan_min_samples=None,
        dbscan_min_samples=None,
        min_cluster_size=None,
        silhouette_sample_size=2000,
        stability_sample_size=2000,
        min_stability=0.5,
        selection_tolerance=0.02,
        compute_stability=True,
        random_state=None,
    ):
        self.algorithms = algorithms
        self.k_min = k_min
        self.k_max = k_max
        self.kmeans_n_init = kmeans_n_init
        self.min_cluster_share = min_cluster_share
        self.hdbscan_min_samples = hdbscan_min_samples
        self.dbscan_min_samples = dbscan_min_samples
        self.min_cluster_size = min_cluster_size
        self.silhouette_sample_size = silhouette_sample_size
        self.stability_sample_size = stability_sample_size
        self.min_stability = min_stability
        self.selection_tolerance = selection_tolerance
        self.compute_stability = compute_stability
        self.random_state = random_state

    def _members(self) -> dict:
        common = {
            "min_cluster_size": self.min_cluster_size,
            "silhouette_sample_size": self.silhouette_sample_size,
            "stability_sample_size": self.stability_sample_size,
            "min_stability": self.min_stability,
            "selection_tolerance": self.selection_tolerance,
            "compute_stability": self.compute_stability,
            "random_state": self.random_state,
        }
        return {
            "kmeans": KMeansClusterer(
                k_min=self.k_min, k_max=self.k_max, n_init=self.kmeans_n_init, **common
            ),
            "hdbscan": HDBSCANClusterer(
                min_cluster_share=self.min_cluster_share,
                min_samples=self.hdbscan_min_samples,
                **common,
            ),
            "dbscan": DBSCANClusterer(min_samples=self.dbscan_min_samples, **common),
        }

    def _validate_own(self):
        algos = self.algorithms
        if isinstance(algos, str):
            algos = (algos,)
        if (
            not isinstance(algos, (tuple, list))
            or not algos
            or any(a not in ALGORITHMS for a in algos)
        ):
            raise ValueError(
                f"invalid value for parameter 'algorithms': {self.algorithms!r}; expected a "
                "non-empty tuple of: " + ", ".join(repr(a) for a in ALGORITHMS)
            )
        for name, member in self._members().items():
            if name in algos:
                member._validate_own()

    def _evaluate(self, X, seed, sil=None):
        algos = (self.algorithms,) if isinstance(self.algorithms, str) else tuple(self.algorithms)
        if sil is None:
            sil = SilhouetteSample(
                X, int(self.silhouette_sample_size), derive_seed(seed, "silhouette")
            )
        results = []
        for name in ALGORITHMS:
            if name in algos:
                results.extend(self._members()[name]._evaluate(X, seed, sil))
        return results

    def fit_labels(self, X, algorithm, params, random_state=0, size_scale=1.0):
        return self._members()[algorithm].fit_labels(X, algorithm, params, random_state, size_scale)


def make_clusterer(algorithm: str, **kwargs) -> _SweepClusterer:
    """Build a clusterer by name: auto, kmeans, hdbscan, dbscan."""
    classes = {
        "auto": AutoClusterer,
        "kmeans": KMeansClusterer,
        "hdbscan": HDBSCANClusterer,
        "dbscan": DBSCANClusterer,
    }
    if algorithm not in classes:
        raise ValueError(
            f"invalid value for parameter 'algorithm': {algorithm!r}; allowed values: "
            + ", ".join(repr(a) for a in classes)
        )
    return classes[algorithm](**kwargs)
