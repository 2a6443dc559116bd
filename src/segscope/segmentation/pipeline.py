"""One entry point for the dbt Python models: ``segment_users``.

A thin dbt model reads its config once, calls ``segment_users(features, catalog,
params)`` and returns one of the result's tables; one fit feeds every table.

``params`` keys (every key optional; unknown keys and bad values raise ``ValueError``
naming the parameter and what is allowed):

=============================  ===========  ==============================================
key                            default      meaning
=============================  ===========  ==============================================
key                            "user_id"    user key column
reducer                        "pca"        "pca" | "umap" | "none"
algorithm                      "auto"       "auto" | "kmeans" | "hdbscan" | "dbscan"
max_depth                      3            deepest segment level (top level = 1)
min_segment_share              0.01         smallest child, as a share of fitted users
min_child_size                 50           smallest child, in users
outlier_policy                 "flag"       "flag" | "exclude" | "cap" | "own_segment"
outlier_quantile               0.99         outlier score quantile above which users are outliers
noise_policy                   "nearest"    "nearest" | "unassigned"
fit_sample_size                50000        users the tree is fitted on; the rest are scored
random_state                   0            seed (same data + seed = same assignments)
k_min, k_max                   2, 12        KMeans sweep
kmeans_n_init                  10           KMeans restarts per k
pca_variance_threshold         0.9          PCA keeps this share of variance
pca_max_components             None         cap on PCA components
umap_n_components              5
umap_n_neighbors               15
umap_min_dist                  0.0
umap_n_epochs                  None         None = umap's default
hdbscan_min_cluster_share      0.02
hdbscan_min_samples            None
dbscan_min_samples             None
split_min_silhouette           0.1          floor on silhouette * (1 - noise share)
split_null_margin              0.05         required margin over the null reference
split_min_stability            0.8          ARI of the split against a reseeded subsample refit
null_reference                 "both"       "both" | "permute" | "gaussian" | "copula" | "none"
null_sample_size               2000
silhouette_sample_size         2000
stability_sample_size          2000
min_stability                  0.5          candidates below are passed over when choosing
selection_tolerance            0.02         quality ties -> fewer clusters
score_reference_size           5000         fitted users per node used to score the others
n_neighbors                    15           k of the scoring / noise vote
embedding_sample_size          5000         rows of ``embedding_2d``
rare_level_share               0.01         rarer categorical levels -> "__other__"
max_levels                     20           most frequent levels kept per categorical
=============================  ===========  ==============================================
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ._validation import check_choice, check_number
from .clusterers import make_clusterer
from .lineage import MIGRATION_COLUMNS, empty_lineage, lineage, stable_ids
from .preprocess import OUTLIER_POLICIES, Preprocessor
from .reducers import NoReducer, PCAReducer, UMAPReducer
from .tree import NOISE_POLICIES, NULL_REFERENCES, SegmentTree

REDUCERS = ("pca", "umap", "none")
ALGORITHM_CHOICES = ("auto", "kmeans", "hdbscan", "dbscan")

DEFAULT_PARAMS: dict = {
    "key": "user_id",
    "reducer": "pca",
    "algorithm": "auto",
    "max_depth": 3,
    "min_segment_share": 0.01,
    "min_child_size": 50,
    "outlier_policy": "flag",
    "outlier_quantile": 0.99,
    "noise_policy": "nearest",
    "fit_sample_size": 50_000,
    "random_state": 0,
    "k_min": 2,
    "k_max": 12,
    "kmeans_n_init": 10,
    "pca_variance_threshold": 0.9,
    "pca_max_components": None,
    "umap_n_components": 5,
    "umap_n_neighbors": 15,
    "umap_min_dist": 0.0,
    "umap_n_epochs": None,
    "hdbscan_min_cluster_share": 0.02,
    "hdbscan_min_samples": None,
    "dbscan_min_samples": None,
    "split_min_silhouette": 0.1,
    "split_null_margin": 0.05,
    "split_min_stability": 0.8,
    "null_reference": "both",
    "null_sample_size": 2000,
    "silhouette_sample_size": 2000,
    "stability_sample_size": 2000,
    "min_stability": 0.5,
    "selection_tolerance": 0.02,
    "score_reference_size": 5000,
    "n_neighbors": 15,
    "embedding_sample_size": 5000,
    "rare_level_share": 0.01,
    "max_levels": 20,
}

_CHOICES = {
    "reducer": REDUCERS,
    "algorithm": ALGORITHM_CHOICES,
    "outlier_policy": OUTLIER_POLICIES,
    "noise_policy": NOISE_POLICIES,
    "null_reference": NULL_REFERENCES,
}
# name: (low, high, integer, allow_none)
_NUMBERS = {
    "max_depth": (1, None, True, False),
    "min_segment_share": (0.0, 0.5, False, False),
    "min_child_size": (2, None, True, False),
    "outlier_quantile": (0.5, 0.9999, False, False),
    "fit_sample_size": (100, None, True, False),
    "random_state": (0, None, True, True),
    "k_min": (2, None, True, False),
    "k_max": (2, None, True, False),
    "kmeans_n_init": (1, None, True, False),
    "pca_variance_threshold": (0.01, 1.0, False, False),
    "pca_max_components": (1, None, True, True),
    "umap_n_components": (1, None, True, False),
    "umap_n_neighbors": (2, None, True, False),
    "umap_min_dist": (0.0, None, False, False),
    "umap_n_epochs": (1, None, True, True),
    "hdbscan_min_cluster_share": (0.0001, 0.5, False, False),
    "hdbscan_min_samples": (1, None, True, True),
    "dbscan_min_samples": (2, None, True, True),
    "split_min_silhouette": (-1.0, 1.0, False, False),
    "split_null_margin": (-1.0, 1.0, False, False),
    "split_min_stability": (-1.0, 1.0, False, False),
    "null_sample_size": (50, None, True, False),
    "silhouette_sample_size": (10, None, True, False),
    "stability_sample_size": (50, None, True, False),
    "min_stability": (0.0, 1.0, False, False),
    "selection_tolerance": (0.0, 1.0, False, False),
    "score_reference_size": (50, None, True, False),
    "n_neighbors": (1, None, True, False),
    "embedding_sample_size": (10, None, True, False),
    "rare_level_share": (0.0, 0.5, False, False),
    "max_levels": (1, None, True, False),
}


@dataclass
class SegmentationResult:
    """Every table one fit produces (see ``SegmentTree`` for the columns)."""

    assignments: pd.DataFrame
    segments: pd.DataFrame
    model_selection: pd.DataFrame
    embedding_2d: pd.DataFrame
    preprocess_log: pd.DataFrame
    explained_variance: pd.DataFrame
    params: dict
    tree: SegmentTree = field(repr=False, default=None)
    # against the previous version (segscope.segmentation.lineage); None: no previous version
    lineage: pd.DataFrame | None = None
    migrations: pd.DataFrame | None = None
    # users of the segmented population the fit did not see, to be scored where the data is
    # (Spark); None: ``assignments`` holds every user
    unscored_keys: np.ndarray | None = field(repr=False, default=None)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The DataFrames by name (what the dbt Python models return)."""
        return {
            "assignments": self.assignments,
            "segments": self.segments,
            "model_selection": self.model_selection,
            "embedding_2d": self.embedding_2d,
            "preprocess_log": self.preprocess_log,
            "explained_variance": self.explained_variance,
            "lineage": self.lineage if self.lineage is not None else empty_lineage(),
            "migrations": (self.migrations if self.migrations is not None
                           else pd.DataFrame(columns=MIGRATION_COLUMNS)),
        }

    def carry_ids_from(self, previous_leaf: pd.Series,
                       previous_nodes: list[str]) -> SegmentationResult:
        """Rename this fit's segments after the previous version's they continue, and record
        the lineage and migrations between the two (segscope.segmentation.lineage).

        ``previous_leaf``: each user's leaf in the previous version, indexed by user key;
        ``previous_nodes``: every segment id of the previous tree."""
        key = self.tree.preprocessor_.key
        previous_leaf = previous_leaf.astype(str)
        previous_nodes = [str(node) for node in previous_nodes]
        noise = set(self.segments.loc[self.segments["is_noise"].astype(bool), "segment_id"])
        mapping = stable_ids(previous_leaf, self.assignments.set_index(key)["segment_id"],
                             self.segments["segment_id"].astype(str).tolist(), previous_nodes,
                             noise)
        tree = self.tree.relabel(mapping)
        history, migrations = lineage(previous_leaf,
                                      tree.assignments_.set_index(key)["segment_id"],
                                      previous_nodes, tree.segments_["segment_id"].tolist())
        return replace(self, assignments=tree.assignments_, segments=tree.segments_,
                       model_selection=tree.model_selection_, embedding_2d=tree.embedding_2d_,
                       preprocess_log=tree.preprocess_log_,
                       explained_variance=tree.explained_variance_, lineage=history,
                       migrations=migrations)


def resolve_params(params: dict | None) -> dict:
    """Defaults overlaid with ``params``; raises ValueError on unknown keys or bad values."""
    params = dict(params or {})
    unknown = sorted(set(params) - set(DEFAULT_PARAMS))
    if unknown:
        raise ValueError(
            f"unknown parameter(s) {unknown}; allowed parameters: " + ", ".join(DEFAULT_PARAMS)
        )
    out = {**DEFAULT_PARAMS, **params}
    if not isinstance(out["key"], str) or not out["key"]:
        raise ValueError(
            f"invalid value for parameter 'key': {out['key']!r}; expected a column name"
        )
    for name, allowed in _CHOICES.items():
        check_choice(name, out[name], allowed)
    for name, (low, high, integer, allow_none) in _NUMBERS.items():
        check_number(name, out[name], low=low, high=high, integer=integer, allow_none=allow_none)
    if out["k_max"] < out["k_min"]:
        raise ValueError(
            f"invalid values for parameters 'k_min'/'k_max': k_max={out['k_max']} < "
            f"k_min={out['k_min']}"
        )
    return out


def build_tree(params: dict, catalog_df: pd.DataFrame | None = None) -> SegmentTree:
    """The unfitted ``SegmentTree`` that ``params`` (already resolved) describe."""
    p = params
    seed = p["random_state"]
    preprocessor = Preprocessor(
        catalog=catalog_df,
        key=p["key"],
        outlier_policy=p["outlier_policy"],
        outlier_quantile=p["outlier_quantile"],
        rare_level_share=p["rare_level_share"],
        max_levels=p["max_levels"],
    )
    if p["reducer"] == "pca":
        reducer = PCAReducer(
            variance_threshold=p["pca_variance_threshold"],
            max_components=p["pca_max_components"],
            random_state=seed,
        )
    elif p["reducer"] == "umap":
        reducer = UMAPReducer(
            n_components=p["umap_n_components"],
            n_neighbors=p["umap_n_neighbors"],
            min_dist=p["umap_min_dist"],
            n_epochs=p["umap_n_epochs"],
            random_state=seed,
        )
    else:
        reducer = NoReducer(random_state=seed)
    common = {
        "silhouette_sample_size": p["silhouette_sample_size"],
        "stability_sample_size": p["stability_sample_size"],
        "min_stability": p["min_stability"],
        "selection_tolerance": p["selection_tolerance"],
        "random_state": seed,
    }
    algo = p["algorithm"]
    if algo == "auto":
        clusterer = make_clusterer(
            "auto",
            k_min=p["k_min"],
            k_max=p["k_max"],
            kmeans_n_init=p["kmeans_n_init"],
            min_cluster_share=p["hdbscan_min_cluster_share"],
            hdbscan_min_samples=p["hdbscan_min_samples"],
            dbscan_min_samples=p["dbscan_min_samples"],
            **common,
        )
    elif algo == "kmeans":
        clusterer = make_clusterer(
            "kmeans", k_min=p["k_min"], k_max=p["k_max"], n_init=p["kmeans_n_init"], **common
        )
    elif algo == "hdbscan":
        clusterer = make_clusterer(
            "hdbscan",
            min_cluster_share=p["hdbscan_min_cluster_share"],
            min_samples=p["hdbscan_min_samples"],
            **common,
        )
    else:
        clusterer = make_clusterer("dbscan", min_samples=p["dbscan_min_samples"], **common)
    return SegmentTree(
        preprocessor=preprocessor,
        reducer=reducer,
        clusterer=clusterer,
        max_depth=p["max_depth"],
        min_segment_share=p["min_segment_share"],
        min_child_size=p["min_child_size"],
        split_min_silhouette=p["split_min_silhouette"],
        split_null_margin=p["split_null_margin"],
        split_min_stability=p["split_min_stability"],
        null_reference=p["null_reference"],
        null_sample_size=p["null_sample_size"],
        stability_sample_size=p["stability_sample_size"],
        noise_policy=p["noise_policy"],
        fit_sample_size=p["fit_sample_size"],
        score_reference_size=p["score_reference_size"],
        n_neighbors=p["n_neighbors"],
        embedding_sample_size=p["embedding_sample_size"],
        random_state=seed,
    )


def segment_users(
    features_df: pd.DataFrame, catalog_df: pd.DataFrame | None = None, params: dict | None = None
) -> SegmentationResult:
    """Preprocess, reduce, cluster and recurse; return every output table.

    ``features_df``: one row per user, the key column plus feature columns.
    ``catalog_df``: ``name, kind, transform`` per feature (None: infer from dtypes).
    ``params``: see the module docstring.
    """
    resolved = resolve_params(params)
    tree = build_tree(resolved, catalog_df).fit(features_df)
    return SegmentationResult(
        assignments=tree.assignments_,
        segments=tree.segments_,
        model_selection=tree.model_selection_,
        embedding_2d=tree.embedding_2d_,
        preprocess_log=tree.preprocess_log_,
        explained_variance=tree.explained_variance_,
        params=resolved,
        tree=tree,
    )
