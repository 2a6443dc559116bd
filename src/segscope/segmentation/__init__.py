"""The ML core of segscope: preprocess -> reduce -> cluster -> recurse.

Pure Python (no dbt): scikit-learn style estimators whose stages are swappable
objects, plus one entry point, ``segment_users``, for the dbt Python models.
"""

from .clusterers import (
    AutoClusterer,
    DBSCANClusterer,
    HDBSCANClusterer,
    KMeansClusterer,
    make_clusterer,
)
from .pipeline import DEFAULT_PARAMS, SegmentationResult, build_tree, resolve_params, segment_users
from .preprocess import Preprocessor
from .reducers import NoReducer, PCAReducer, UMAPReducer
from .tree import SegmentTree

__all__ = [
    "AutoClusterer",
    "DBSCANClusterer",
    "DEFAULT_PARAMS",
    "HDBSCANClusterer",
    "KMeansClusterer",
    "NoReducer",
    "PCAReducer",
    "Preprocessor",
    "SegmentTree",
    "SegmentationResult",
    "UMAPReducer",
    "build_tree",
    "make_clusterer",
    "resolve_params",
    "segment_users",
]
