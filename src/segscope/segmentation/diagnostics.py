"""Clustering diagnostics shared by every clusterer and the tree.

All scores ignore noise points (label ``-1``). Silhouette is computed on a bounded
random sample so that it stays cheap on large nodes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import (
    adjusted_rand_score,
    calinski_harabasz_score,
    davies_bouldin_score,
)
from sklearn.metrics.pairwise import euclidean_distances

NOISE = -1


def sample_index(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted random subset of ``range(n)`` of at most ``size`` rows (all when n <= size)."""
    if n <= size:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n, size=size, replace=False))


def knee_index(values: np.ndarray) -> int:
    """Index of the knee of a monotone curve: the point farthest from the chord.

    Used for the elbow of the inertia curve and for the DBSCAN ``eps`` read off the
    sorted k-distance curve.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n < 3:
        return 0
    x = np.linspace(0.0, 1.0, n)
    span = y[-1] - y[0]
    yn = (y - y[0]) / span if span != 0 else np.zeros(n)
    # distance from each point to the line joining the first and last point
    dist = np.abs(yn - x) / np.sqrt(2.0)
    return int(np.argmax(dist))


def inertia(X: np.ndarray, labels: np.ndarray) -> float:
    """Sum of squared distances to cluster means (noise ignored)."""
    total = 0.0
    for lab in np.unique(labels):
        if lab == NOISE:
            continue
        pts = X[labels == lab]
        total += float(((pts - pts.mean(axis=0)) ** 2).sum())
    return total


class SilhouetteSample:
    """A fixed random sample of rows and their pairwise distances.

    Shared by every candidate of a fit so that candidates are compared on the same
    rows and the distances are computed once.
    """

    def __init__(self, X: np.ndarray, size: int, seed: int):
        self.index = sample_index(len(X), size, seed)
        self.distances = euclidean_distances(X[self.index])

    def score(self, labels: np.ndarray) -> float:
        """Mean silhouette of the sampled rows that are not noise (NaN if < 2 clusters)."""
        lab = np.asarray(labels)[self.index]
        keep = lab != NOISE
        lab = lab[keep]
        uniq, inv = np.unique(lab, return_inverse=True)
        if len(uniq) < 2 or len(lab) <= len(uniq):
            return float("nan")
        D = self.distances[np.ix_(keep, keep)]
        onehot = np.zeros((len(lab), len(uniq)))
        onehot[np.arange(len(lab)), inv] = 1.0
        sums = D @ onehot
        counts = onehot.sum(axis=0)
        own = counts[inv]
        a = sums[np.arange(len(lab)), inv] / np.maximum(own - 1, 1)
        other = sums / counts
        other[np.arange(len(lab)), inv] = np.inf
        b = other.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b - a) / np.maximum(a, b)
        s = np.where((own > 1) & np.isfinite(s), s, 0.0)  # singletons score 0, as in sklearn
        return float(s.mean())


def cluster_scores(X: np.ndarray, labels: np.ndarray, silhouette: SilhouetteSample) -> dict:
    """silhouette / Davies-Bouldin / Calinski-Harabasz / inertia / noise share.

    ``silhouette`` holds the sample of rows shared by every candidate of a fit.
    ``quality = silhouette * (1 - noise_share)`` penalises candidates that call
    most of the data noise.
    """
    labels = np.asarray(labels)
    n = len(labels)
    member = labels != NOISE
    noise_share = float(1.0 - member.mean()) if n else 1.0
    clusters = np.unique(labels[member])
    out = {
        "n_clusters": int(len(clusters)),
        "silhouette": np.nan,
        "davies_bouldin": np.nan,
        "calinski_harabasz": np.nan,
        "inertia": inertia(X, labels) if member.any() else np.nan,
        "noise_share": noise_share,
        "quality": np.nan,
    }
    if len(clusters) < 2:
        return out
    Xm, lm = X[member], labels[member]
    out["davies_bouldin"] = float(davies_bouldin_score(Xm, lm))
    out["calinski_harabasz"] = float(calinski_harabasz_score(Xm, lm))
    sil = silhouette.score(labels)
    if np.isfinite(sil):
        out["silhouette"] = sil
        out["quality"] = sil * (1.0 - noise_share)
    return out


def stability_ari(labels_a: np.ndarray, labels_b: np.ndarray) -> float:
    """Adjusted Rand index between two labelings of the same rows (noise is a label)."""
    return float(adjusted_rand_score(labels_a, labels_b))


def clusterwise_jaccard(labels: np.ndarray, labels_refit: np.ndarray) -> dict:
    """For each cluster of ``labels``: best Jaccard overlap with a cluster of the refit.

    Hennig's cluster-wise stability: close to 1 when the cluster reappears intact.
    """
    out = {}
    for lab in np.unique(labels):
        if lab == NOISE:
            continue
        a = labels == lab
        best = 0.0
        for other in np.unique(labels_refit):
            if other == NOISE:
                continue
            b = labels_refit == other
            union = np.logical_or(a, b).sum()
            if union:
                best = max(best, np.logical_and(a, b).sum() / union)
        out[int(lab)] = float(best)
    return out


def concat_tables(frames: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    """The non-empty frames stacked with ``columns``; an empty table with them if none."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
