"""Dimension reducers: swappable stages with fit / transform.

Every reducer exposes, after ``fit``:

* ``embedding_``: the reduced coordinates of the fitted rows (what clusterers see);
* ``embedding_2d_``: 2-D coordinates of the fitted rows for plots;
* ``explained_variance_``: a table ``component, explained_variance_ratio,
  cumulative, is_kept`` (empty for reducers without a variance notion);
* ``n_components_``.

and ``transform(X)`` / ``transform_2d(X)`` for new rows. The class attribute
``cheap_transform`` tells the tree whether ``transform`` is cheap enough to score
millions of rows (PCA, identity) or not (UMAP, whose new rows are scored in the
node's input space instead, see ``tree.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.decomposition import PCA

from ._validation import as_float_matrix, check_number, check_seed

_EV_COLUMNS = ["component", "explained_variance_ratio", "cumulative", "is_kept"]


def _ev_table(ratios: np.ndarray, n_kept: int) -> pd.DataFrame:
    ratios = np.asarray(ratios, dtype=float)
    return pd.DataFrame(
        {
            "component": np.arange(1, len(ratios) + 1, dtype=np.int64),
            "explained_variance_ratio": ratios,
            "cumulative": np.cumsum(ratios),
            "is_kept": np.arange(len(ratios)) < n_kept,
        }
    )


def _pad_2d(E: np.ndarray) -> np.ndarray:
    if E.shape[1] >= 2:
        return np.ascontiguousarray(E[:, :2])
    return np.column_stack([E[:, 0], np.zeros(len(E))])


class _Reducer(TransformerMixin, BaseEstimator):
    cheap_transform = True

    def _check_fitted(self):
        if not hasattr(self, "embedding_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: call fit first")

    def fit_transform(self, X, y=None, **fit_params):
        return self.fit(X).embedding_.copy()


class PCAReducer(_Reducer):
    """PCA keeping the fewest components that explain ``variance_threshold``.

    Parameters
    ----------
    variance_threshold : float in (0, 1], default=0.9
    max_components : int or None, default=None
        Upper bound on the kept components.
    min_components : int, default=1
    whiten : bool, default=False
    random_state : int or None, default=None
        Accepted for a uniform interface (the full SVD is deterministic).

    The 2-D plot embedding is the first two principal components of the full
    decomposition (whatever the number of kept components).
    """

    def __init__(
        self,
        variance_threshold=0.9,
        max_components=None,
        min_components=1,
        whiten=False,
        random_state=None,
    ):
        self.variance_threshold = variance_threshold
        self.max_components = max_components
        self.min_components = min_components
        self.whiten = whiten
        self.random_state = random_state

    def fit(self, X, y=None):
        check_number(
            "variance_threshold", self.variance_threshold, low=0.0, high=1.0, low_inclusive=False
        )
        check_number("max_components", self.max_components, low=1, integer=True, allow_none=True)
        check_number("min_components", self.min_components, low=1, integer=True)
        check_seed("random_state", self.random_state)
        X = as_float_matrix(X)
        n, p = X.shape
        if n < 2:
            raise ValueError(f"PCAReducer needs at least 2 rows, got {n}")
        pca = PCA(n_components=min(n, p), svd_solver="full")
        pca.fit(X)
        ratios = np.nan_to_num(pca.explained_variance_ratio_)
        cum = np.cumsum(ratios)
        k = int(np.searchsorted(cum, self.variance_threshold - 1e-12) + 1)
        k = max(k, int(self.min_components))
        if self.max_components is not None:
            k = min(k, int(self.max_components))
        k = max(1, min(k, len(ratios)))
        self.pca_ = pca
        self.n_components_ = k
        self.explained_variance_ = _ev_table(ratios, k)
        full = pca.transform(X)
        self.embedding_ = self._project(full)
        self.embedding_2d_ = _pad_2d(full)
        return self

    def _project(self, full: np.ndarray) -> np.ndarray:
        E = full[:, : self.n_components_]
        if self.whiten:
            sd = np.sqrt(self.pca_.explained_variance_[: self.n_components_])
            E = E / np.where(sd > 0, sd, 1.0)
        return np.ascontiguousarray(E)

    def transform(self, X):
        self._check_fitted()
        return self._project(self.pca_.transform(as_float_matrix(X)))

    def transform_2d(self, X):
        self._check_fitted()
        return _pad_2d(self.pca_.transform(as_float_matrix(X)))


class UMAPReducer(_Reducer):
    """UMAP (umap-learn) embedding for clustering, as in the Spotify article.

    Parameters
    ----------
    n_components : int, default=5
    n_neighbors : int, default=15
        Capped at ``n_rows - 1`` on small nodes.
    min_dist : float, default=0.0
        0 packs clusters tightly, which is what density clustering wants.
    metric : str, default="euclidean"
    n_epochs : int or None, default=None
        None lets umap choose (200 for large data, 500 for small); tests use fewer.
    random_state : int or None, default=None
        Passed to umap, which makes it deterministic (and single-threaded).

    The 2-D plot embedding: when ``n_components == 2`` it is the embedding itself;
    otherwise it is the first two principal components of the UMAP embedding. That
    costs one small PCA instead of a second UMAP fit; clusters that UMAP separates
    in 5-D may overlap in that projection, which is acceptable for a plot.

    ``transform`` of new rows runs umap's own ``transform`` (costly: the tree avoids
    it when scoring many rows).
    """

    cheap_transform = False

    def __init__(
        self,
        n_components=5,
        n_neighbors=15,
        min_dist=0.0,
        metric="euclidean",
        n_epochs=None,
        random_state=None,
    ):
        self.n_components = n_components
        self.n_neighbors = n_neighbors
        self.min_dist = min_dist
        self.metric = metric
        self.n_epochs = n_epochs
        self.random_state = random_state

    def fit(self, X, y=None):
        check_number("n_components", self.n_components, low=1, integer=True)
        check_number("n_neighbors", self.n_neighbors, low=2, integer=True)
        check_number("min_dist", self.min_dist, low=0.0)
        check_number("n_epochs", self.n_epochs, low=1, integer=True, allow_none=True)
        seed = check_seed("random_state", self.random_state)
        X = as_float_matrix(X)
        n = X.shape[0]
        if n < self.n_components + 3:
            raise ValueError(
                "UMAPReducer needs at least n_components + 3 = "
                f"{self.n_components + 3} rows, got {n}"
            )
        import umap  # imported lazily: numba compilation is slow to import

        model = umap.UMAP(
            n_components=int(self.n_components),
            n_neighbors=int(min(self.n_neighbors, n - 1)),
            min_dist=float(self.min_dist),
            metric=self.metric,
            n_epochs=None if self.n_epochs is None else int(self.n_epochs),
            random_state=seed,
            n_jobs=1,
            init="spectral" if n > 4 * self.n_components + 10 else "random",
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            emb = model.fit_transform(X)
        self.umap_ = model
        self.n_components_ = int(self.n_components)
        self.embedding_ = np.ascontiguousarray(np.asarray(emb, dtype=np.float64))
        self.explained_variance_ = _ev_table(np.array([]), 0)
        if self.n_components_ == 2:
            self.plot_pca_ = None
            self.embedding_2d_ = self.embedding_.copy()
        elif self.n_components_ == 1:
            self.plot_pca_ = None
            self.embedding_2d_ = _pad_2d(self.embedding_)
        else:
            self.plot_pca_ = PCA(n_components=2, svd_solver="full").fit(self.embedding_)
            self.embedding_2d_ = self.plot_pca_.transform(self.embedding_)
        return self

    def transform(self, X):
        self._check_fitted()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            emb = self.umap_.transform(as_float_matrix(X))
        return np.ascontiguousarray(np.asarray(emb, dtype=np.float64))

    def transform_2d(self, X):
        E = self.transform(X)
        if self.plot_pca_ is None:
            return _pad_2d(E)
        return self.plot_pca_.transform(E)


class NoReducer(_Reducer):
    """Identity: cluster the preprocessed features directly.

    The 2-D plot embedding is the first two principal components of the input.
    """

    def __init__(self, random_state=None):
        self.random_state = random_state

    def fit(self, X, y=None):
        check_seed("random_state", self.random_state)
        X = as_float_matrix(X)
        self.n_components_ = X.shape[1]
        self.embedding_ = X
        self.explained_variance_ = _ev_table(np.array([]), 0)
        self.plot_pca_ = PCA(n_components=min(2, *X.shape), svd_solver="full").fit(X)
        self.embedding_2d_ = _pad_2d(self.plot_pca_.transform(X))
        return self

    def transform(self, X):
        self._check_fitted()
        return as_float_matrix(X)

    def transform_2d(self, X):
        self._check_fitted()
        return _pad_2d(self.plot_pca_.transform(as_float_matrix(X)))
