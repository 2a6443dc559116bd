"""What a user would otherwise run on the same features, all on one preprocessing.

Preprocessing (every baseline, the same): a column with no negative values and a skew above
1 is log1p-transformed, then every column is standardised (a constant column becomes 0).
Each baseline returns one flat label per row; HDBSCAN's noise (-1) is one label of its own.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import StandardScaler

K_RANGE = range(2, 13)
SILHOUETTE_SAMPLE = 2000
SKEW_THRESHOLD = 1.0


def scaled(X: pd.DataFrame) -> np.ndarray:
    """log1p on non-negative columns with skew > 1, then StandardScaler."""
    values = X.to_numpy(dtype=float, copy=True)
    skewed = (values.min(axis=0) >= 0) & (pd.DataFrame(values).skew().fillna(0).to_numpy()
                                           > SKEW_THRESHOLD)
    values[:, skewed] = np.log1p(values[:, skewed])
    return StandardScaler().fit_transform(values)


def _min_cluster_size(n: int) -> int:
    # 1% of the users: the smallest planted group of the suite is 1%
    return max(10, n // 100)


def kmeans_silhouette(Z: np.ndarray, seed: int, true_k: int | None = None) -> np.ndarray:
    """KMeans for k = 2..12; the k with the best silhouette (on at most 2000 rows)."""
    best, best_score = None, -np.inf
    for k in K_RANGE:
        if k >= len(Z):
            break
        labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit_predict(Z)
        score = silhouette_score(Z, labels, sample_size=min(SILHOUETTE_SAMPLE, len(Z)),
                                 random_state=seed)
        if score > best_score:
            best, best_score = labels, score
    return best


def gmm_bic(Z: np.ndarray, seed: int, true_k: int | None = None) -> np.ndarray:
    """GaussianMixture (full covariance) for k = 1..12; the k with the lowest BIC."""
    best, best_bic = None, np.inf
    for k in range(1, K_RANGE.stop):
        if k >= len(Z):
            break
        model = GaussianMixture(n_components=k, covariance_type="full", reg_covar=1e-4,
                                random_state=seed).fit(Z)
        bic = model.bic(Z)
        if bic < best_bic:
            best, best_bic = model.predict(Z), bic
    return best


def hdbscan_scaled(Z: np.ndarray, seed: int, true_k: int | None = None) -> np.ndarray:
    """HDBSCAN on the scaled features, min_cluster_size max(10, 1% of rows)."""
    import hdbscan

    return hdbscan.HDBSCAN(min_cluster_size=_min_cluster_size(len(Z))).fit_predict(Z)


UMAP_COMPONENTS = 8


def umap_hdbscan(Z: np.ndarray, seed: int, true_k: int | None = None) -> np.ndarray:
    """UMAP to 8 dimensions (15 neighbours, min_dist 0), then HDBSCAN as above."""
    import hdbscan
    import umap

    embedding = umap.UMAP(n_components=min(UMAP_COMPONENTS, Z.shape[1]), n_neighbors=15,
                          min_dist=0.0, random_state=seed).fit_transform(Z)
    return hdbscan.HDBSCAN(min_cluster_size=_min_cluster_size(len(Z))).fit_predict(embedding)


def kmeans_true_k(Z: np.ndarray, seed: int, true_k: int | None = None) -> np.ndarray:
    """Oracle reference: KMeans with the number of finest planted labels."""
    if true_k is None or true_k < 2:
        return np.zeros(len(Z), dtype=int)
    return KMeans(n_clusters=true_k, n_init=10, random_state=seed).fit_predict(Z)


BASELINES = {
    "kmeans_silhouette": kmeans_silhouette,
    "gmm_bic": gmm_bic,
    "hdbscan_scaled": hdbscan_scaled,
    "umap_hdbscan": umap_hdbscan,
    "kmeans_true_k": kmeans_true_k,
}
ORACLES = ("kmeans_true_k",)
