"""The bridge between dbt Python models and the engine: one fit, persisted, unpacked per table.

dbt gives each Python model one output table, but one fit must feed several tables. So the fit
model returns a single row holding the pickled result, and each segment table's model unpickles
it and returns its own table: nothing is refitted per table. The explainer and the stability
checks work the same way, each reading the one fit.

The models hand over whatever dbt gives them: DuckDB relations, or Spark DataFrames on the
spark target, where the fit sees a sample collected to the driver and everyone else is scored
distributed (segscope.spark.frames).
"""

from __future__ import annotations

import hashlib
import json
import pickle
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata

import numpy as np
import pandas as pd

from segscope.segmentation._validation import check_number
from segscope.segmentation.explain import SegmentExplainer
from segscope.segmentation.hierarchy import leaf_ids
from segscope.segmentation.lineage import first_version
from segscope.segmentation.pipeline import SegmentationResult, resolve_params, segment_users
from segscope.segmentation.stability import SegmentStability
from segscope.segmentation.tree import segment_path
from segscope.spark.frames import is_spark

# Every option of the explainer and the stability checks, with its default (the vars
# segscope_explanation and segscope_stability set them).
EXPLANATION_DEFAULTS = {
    "n_estimators": 200,
    "max_depth": 4,
    "learning_rate": 0.1,
    "train_sample_size": 20_000,
    "min_class_sample": 300,
    "test_share": 0.25,
    "shap_sample_size": 500,
}
STABILITY_DEFAULTS = {
    "n_bootstrap": 20,
    "n_seeds": 3,
    "sample_size": 2000,
    "n_cohorts": 4,
    "min_cohort_size": 100,
    "stable_jaccard": 0.75,
    "dissolving_jaccard": 0.6,
}


def to_pandas(relation) -> pd.DataFrame:
    """A table dbt handed a Python model, on the driver: DuckDB's relation or a Spark DataFrame."""
    if is_spark(relation):
        return relation.toPandas()
    return relation.df()


def _missing_table(error: Exception) -> bool:
    """The error a warehouse raises for a table that does not exist (yet)."""
    import duckdb

    if isinstance(error, duckdb.CatalogException):
        return True
    return (type(error).__name__ == "AnalysisException"
            and "TABLE_OR_VIEW_NOT_FOUND" in str(error))


def _read(session, table: str) -> pd.DataFrame | None:
    """A whole table by name, or None when it does not exist."""
    try:
        if is_spark(session):
            return session.table(table).toPandas()
        return session.sql(f"select * from {table}").df()
    except Exception as error:
        if _missing_table(error):
            return None
        raise


def output(session, frame: pd.DataFrame):
    """What a Python model returns: the pandas table for DuckDB; on Spark a Spark DataFrame
    whose columns with no value are typed (segscope.spark.frames.to_spark)."""
    if is_spark(session) and isinstance(frame, pd.DataFrame):
        from segscope.spark.frames import to_spark

        return to_spark(session, frame)
    return frame


def catalog_for(features: pd.DataFrame, catalog: pd.DataFrame | None, key: str):
    """The catalog rows of the columns being segmented; None when it describes other columns
    (a feature table of the user's own: the preprocessor then infers each column's kind)."""
    if catalog is None or catalog.empty:
        return None
    catalog = catalog.rename(columns={"feature_name": "name",
                                      "not_segmented_because": "drop_reason"})
    if "feature_position" in catalog.columns:
        catalog = catalog.sort_values("feature_position", kind="stable")
    known = catalog[catalog["name"].isin(features.columns)]
    if len(known) != len(features.columns.drop(key)):
        return None
    columns = ["name", "kind", "transform"] + (["drop_reason"] if "drop_reason" in known else [])
    return known[columns].reset_index(drop=True)


def in_key_order(features: pd.DataFrame, key: str) -> pd.DataFrame:
    """The rows sorted by key: a warehouse returns them in any order, and the same data must
    give the same segments."""
    return features.sort_values(key, kind="stable", ignore_index=True)


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()[:12]


def config_hash(params: dict) -> str:
    """A short hash of the parameters alone."""
    return _digest(json.dumps(params, sort_keys=True, default=str).encode())


def feature_hash(features: pd.DataFrame) -> str:
    """A short hash of the segmented table alone: its columns and every value."""
    return _digest(",".join(features.columns).encode(),
                   pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes())


def model_version(features: pd.DataFrame, params: dict) -> str:
    """A short hash of the parameters and the data: the same fit gets the same version."""
    return _digest(json.dumps(params, sort_keys=True, default=str).encode(),
                   ",".join(features.columns).encode(),
                   pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes())


LIBRARIES = ("segscope", "numpy", "pandas", "scikit-learn", "umap-learn", "hdbscan",
             "xgboost-cpu", "shap", "duckdb", "dbt-core", "dbt-duckdb")


def library_versions() -> str:
    """The versions a fit ran with, as JSON (a refit on other versions may differ)."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return json.dumps(versions, sort_keys=True)


@dataclass
class PublishedSegments:
    """The segments BI reads now: the version a refit continues."""

    model_version: str
    leaf: pd.Series  # each user's leaf segment id, indexed by user key
    nodes: list[str]  # every segment id of the tree


def published_table(session, this, schema: str, table: str) -> str:
    """``table`` as BI reads it: in ``schema``, the target schema the build publishes to, of
    ``this``'s (dbt.this) database. On DuckDB the models build apart until they are published
    (macros/publication.sql)."""
    return schema + "." + table if is_spark(session) else f'"{this.database}"."{schema}"."{table}"'


def published_segments(session, this, schema: str) -> PublishedSegments | None:
    """The published user_segments and segments (see published_table), or None before the
    first build. Not segmentation_fit's own last row: a build that died after the fit but
    before the segment tables were published never showed that fit to anyone."""
    users = _read(session, published_table(session, this, schema, "user_segments"))
    nodes = _read(session, published_table(session, this, schema, "segments"))
    if users is None or nodes is None:
        return None
    versions = users["model_version"].dropna().unique()
    if len(versions) != 1 or not len(nodes):
        return None
    return PublishedSegments(str(versions[0]), users.set_index("user_id")["segment_id"],
                             nodes["segment_id"].astype(str).tolist())


# the columns of segmentation_fit's row
FIT_COLUMNS = ("model_version", "fitted_at", "n_users", "params", "result",
               "previous_model_version", "config_hash", "feature_hash", "random_state",
               "library_versions")


def fit_segmentation(features: pd.DataFrame, catalog: pd.DataFrame | None,
                     params: dict | None, source: str = "the segmentation input",
                     previous: PublishedSegments | None = None,
                     population_keys: np.ndarray | None = None) -> pd.DataFrame:
    """Fit once; return a one-row frame with the version, the parameters and the result.

    ``previous``: the segments BI last saw (None: a first fit); the new segments take the ids
    of the previous ones they continue, and the result records the lineage between the two.
    ``population_keys``: every user's key when ``features`` is a sample of them (Spark); the
    others are then left to be scored where they are (``unscored_keys``).

    A bad parameter raises ValueError naming var segscope_segmentation; unusable input names
    `source` (the table), the column and the rule; both before anything is returned, so dbt
    keeps the previous tables."""
    params = dict(params or {})
    checked_params(params)
    key = params.get("key", "user_id")
    if key not in features.columns:
        raise ValueError(f"{source} has no key column {key!r} (param 'key'); "
                         f"its columns are {', '.join(features.columns)}")
    features = in_key_order(features, key)
    try:
        result = segment_users(features, catalog_for(features, catalog, key), params)
    except ValueError as error:
        raise ValueError(f"segmentation of {source}: {error}") from error
    previous_version = None
    if previous is not None:
        previous_version = previous.model_version
        result = result.carry_ids_from(previous.leaf, previous.nodes)
    else:
        result.lineage = first_version(result.segments)
    n_users = len(features)
    if population_keys is not None:
        result.unscored_keys = np.setdiff1d(population_keys, features[key].to_numpy())
        n_users = len(population_keys)
    row = _pack(model_version(features, result.params), result.params, result,
                n_users=n_users)
    return row.assign(previous_model_version=previous_version,
                      config_hash=config_hash(result.params), feature_hash=feature_hash(features),
                      random_state=result.params["random_state"],
                      library_versions=library_versions())


def checked_params(params: dict | None) -> dict:
    """The engine's parameters resolved; a bad one raises naming var segscope_segmentation,
    where they are set (not the table they would fit)."""
    try:
        return resolve_params(params)
    except ValueError as error:
        raise ValueError(f"var segscope_segmentation: {error}") from error


def fit_relation(features, catalog, params: dict | None, source: str,
                 previous: PublishedSegments | None = None) -> pd.DataFrame:
    """fit_segmentation on the tables dbt handed the model: all users on DuckDB; on Spark the
    users the fit samples, collected to the driver. The parameters are checked before any
    row is read."""
    resolved = checked_params(params)
    if not is_spark(features):
        return fit_segmentation(features.df(), catalog.df(), params, source, previous)
    from segscope.spark.frames import fit_sample

    key = resolved["key"]
    if key not in features.columns:
        raise ValueError(f"{source} has no key column {key!r} (param 'key'); "
                         f"its columns are {', '.join(features.columns)}")
    sample, keys = fit_sample(features, key, resolved["fit_sample_size"],
                              resolved["random_state"] or 0)
    return fit_segmentation(sample, catalog.toPandas(), params, source, previous, keys)


def load_result(fit: pd.DataFrame) -> tuple[str, SegmentationResult]:
    """The version and the result stored by fit_segmentation (or the explainer or the
    stability checks: anything with ``tables()``)."""
    if len(fit) != 1:
        raise ValueError(f"the segmentation fit table must hold one fit, it holds {len(fit)}")
    row = fit.iloc[0]
    return row["model_version"], pickle.loads(row["result"])


def unpack(fit: pd.DataFrame, table: str) -> pd.DataFrame:
    """One of the result's tables, tagged with the model version."""
    version, result = load_result(fit)
    tables = result.tables()
    if table not in tables:
        raise ValueError(f"unknown table {table!r}; the tables are {', '.join(tables)}")
    frame = tables[table].copy()
    frame["model_version"] = version
    return frame


def unpacked(session, fit, table: str):
    """What an unpack model returns: ``unpack`` of the fit-like relation dbt handed it."""
    return output(session, unpack(to_pandas(fit), table))


def resolve_options(options: dict | None, defaults: dict, var: str) -> dict:
    """Defaults overlaid with ``options``; an unknown key raises naming the var."""
    options = dict(options or {})
    unknown = sorted(set(options) - set(defaults))
    if unknown:
        raise ValueError(
            f"var {var}: unknown option(s) {unknown}; allowed options: " + ", ".join(defaults)
        )
    return {**defaults, **options}


def _pack(version: str, params: dict, result, n_users: int | None = None) -> pd.DataFrame:
    """The one row a fit-like model returns: version, time, parameters, pickled result."""
    row = {"model_version": [version],
           "fitted_at": [datetime.now(timezone.utc).replace(tzinfo=None)]}
    if n_users is not None:
        row["n_users"] = [n_users]
    row["params"] = [json.dumps(params, sort_keys=True, default=str)]
    row["result"] = [pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)]
    return pd.DataFrame(row)


def explain_segmentation(fit: pd.DataFrame, features: pd.DataFrame,
                         options: dict | None) -> pd.DataFrame:
    """Surrogates and SHAP for the one fit; one row like fit_segmentation's."""
    options = resolve_options(options, EXPLANATION_DEFAULTS, "segscope_explanation")
    version, result = load_result(fit)
    tree = result.tree
    features = in_key_order(features, tree.preprocessor_.key)
    leaf = leaf_ids(features, result.assignments, tree.preprocessor_.key)
    try:
        explainer = SegmentExplainer(
            preprocessor=tree.preprocessor_, random_state=result.params["random_state"],
            **options).fit(features, leaf)
    except ValueError as error:
        raise ValueError(f"var segscope_explanation: {error}") from error
    return _pack(version, options, explainer)


def signup_cohorts(keys: pd.Series, signups: pd.DataFrame, n_cohorts: int) -> np.ndarray:
    """Each key's signup cohort: ``n_cohorts`` equal-sized groups by signup time, labelled
    by their first and last signup day; None for users without a signup."""
    key = signups.columns[0]
    signed_up = pd.to_datetime(signups.set_index(key)["signed_up_at"]).reindex(keys.to_numpy())
    cohorts = np.full(len(keys), None, dtype=object)
    known = signed_up.notna().to_numpy()
    if known.sum() < n_cohorts:
        return cohorts
    times = signed_up.to_numpy()[known]
    group = pd.qcut(pd.Series(times).rank(method="first"), n_cohorts, labels=False).to_numpy()
    labels = np.array([
        f"{pd.Timestamp(times[group == g].min()):%Y-%m-%d}.."
        f"{pd.Timestamp(times[group == g].max()):%Y-%m-%d}" for g in range(n_cohorts)
    ], dtype=object)
    cohorts[known] = labels[group]
    return cohorts


def check_stability(fit: pd.DataFrame, features: pd.DataFrame, signups: pd.DataFrame | None,
                    options: dict | None) -> pd.DataFrame:
    """Bootstrap, seed and cohort refits of every split of the one fit; one row like
    fit_segmentation's. ``signups``: ``key, signed_up_at`` (None: no cohort check)."""
    options = resolve_options(options, STABILITY_DEFAULTS, "segscope_stability")
    version, result = load_result(fit)
    tree = result.tree
    key = tree.preprocessor_.key
    features = in_key_order(features, key)
    leaf = leaf_ids(features, result.assignments, key)
    settings = dict(options)
    n_cohorts = settings.pop("n_cohorts")
    try:
        check_number("n_cohorts", n_cohorts, low=0, integer=True)
    except ValueError as error:
        raise ValueError(f"var segscope_stability: {error}") from error
    cohorts = None
    if signups is not None and n_cohorts:
        cohorts = signup_cohorts(features[key], signups, int(n_cohorts))
    try:
        checks = SegmentStability(
            tree=tree, random_state=result.params["random_state"], **settings
        ).fit(features, leaf, cohorts)
    except (TypeError, ValueError) as error:
        raise ValueError(f"var segscope_stability: {error}") from error
    return _pack(version, options, checks)


# --- apply mode: score new users with the persisted fit, refit nothing --------------------------

MODES = ("fit", "apply")
SCORE_COLUMNS = ["segment_id", "top_segment_id", "segment_path", "depth", "confidence",
                 "is_outlier", "model_version"]


def check_mode(mode) -> str:
    """Var segscope_mode: fit (refit every build) or apply (score new users with the fit)."""
    if mode not in MODES:
        raise ValueError(f"var segscope_mode must be one of {', '.join(MODES)}, got {mode!r}")
    return mode


def persisted(session, relation) -> pd.DataFrame | None:
    """The table a model built last time (``dbt.this``), or None before its first build."""
    return _read(session, str(relation))


def fit_or_apply(mode, previous: pd.DataFrame | None, fit) -> pd.DataFrame:
    """What segmentation_fit returns: a new fit (``fit()``) in fit mode; in apply mode the
    persisted fit ``previous`` as it is."""
    if check_mode(mode) == "fit":
        return fit()
    if previous is None or not len(previous):
        raise ValueError("var segscope_mode is apply, but no segmentation has been fitted yet: "
                         "run `dbt build` with segscope_mode: fit first")
    # a fit persisted before these columns existed
    return previous.reindex(columns=[*previous.columns,
                                     *(c for c in FIT_COLUMNS if c not in previous.columns)])


def reuse_in_apply_mode(mode, previous: pd.DataFrame | None, fit: pd.DataFrame, compute):
    """The explainer's and the stability checks' row: in apply mode, the persisted one when it
    belongs to the persisted fit; otherwise ``compute()``."""
    if (check_mode(mode) == "apply" and previous is not None and len(previous) == 1
            and previous["model_version"].iloc[0] == fit["model_version"].iloc[0]):
        return previous
    return compute()


def scored_users(tree, frame: pd.DataFrame, version: str) -> pd.DataFrame:
    """Users routed down the fitted tree, with every column of the fit's assignments."""
    key = tree.preprocessor_.key
    if len(frame):
        scored = tree.score(frame)
        outliers = tree.preprocessor_.is_outlier(frame)
    else:
        scored = pd.DataFrame({key: frame[key], "segment_id": pd.Series([], dtype=str),
                               "confidence": pd.Series([], dtype=float),
                               "is_noise": pd.Series([], dtype=bool)})
        outliers = np.zeros(0, dtype=bool)
    leaf = scored["segment_id"].astype(str)
    return pd.DataFrame({
        key: scored[key].to_numpy(),
        "segment_id": leaf,
        "top_segment_id": leaf.str.split(".").str[0],
        "segment_path": leaf.map(segment_path),
        "depth": (leaf.str.count(r"\.") + 1).astype("int64"),
        "confidence": scored["confidence"].astype(float),
        "is_outlier": np.asarray(outliers, dtype=bool),
        "is_noise": scored["is_noise"].astype(bool),
        "in_fit_sample": False,
        "model_version": version,
    })


def score_new_users(fit: pd.DataFrame, features: pd.DataFrame) -> pd.DataFrame:
    """The users of ``features`` the fit has not segmented, each routed down the fitted tree
    (its reducers and the scorers of its nodes: no refit), with the fit's model version."""
    version, result = load_result(fit)
    key = result.tree.preprocessor_.key
    new = in_key_order(features[~features[key].isin(result.assignments[key])], key)
    return scored_users(result.tree, new, version)[[key, *SCORE_COLUMNS]]


# --- the same, on the tables dbt hands the models (DuckDB relations or Spark DataFrames) --------

def assignments_relation(fit, features):
    """Every segmented user's assignment. DuckDB: the fit's table. Spark: the fitted sample's
    rows, and the rest of the population scored on the workers."""
    if not is_spark(fit):
        return unpack(fit.df(), "assignments")
    from segscope.spark.frames import ASSIGNMENT_TYPES, key_frame, score_distributed, to_spark

    version, result = load_result(fit.toPandas())
    key = result.tree.preprocessor_.key
    columns = list(ASSIGNMENT_TYPES)
    fitted = to_spark(fit.sparkSession, result.assignments.assign(model_version=version))
    fitted = fitted.select(key, *columns).withColumn(key, fitted[key].cast(
        features.schema[key].dataType))
    if result.unscored_keys is None or not len(result.unscored_keys):
        return fitted
    rest = features.join(key_frame(features, key, result.unscored_keys), on=key, how="left_semi")
    return fitted.unionByName(score_distributed(rest, result.tree, version, columns))


def segments_relation(fit, assignments):
    """The segment tree. On Spark its sizes and mean confidences are counted over every
    assigned user (the fit saw a sample); on DuckDB the fit saw everyone."""
    segments = unpack(to_pandas(fit), "segments")
    if not is_spark(fit):
        return segments
    from segscope.spark.frames import segment_counts

    counts = segment_counts(assignments)
    ids = segments["segment_id"].astype(str)
    under = [(counts["segment_id"] == s) | counts["segment_id"].str.startswith(s + ".")
             for s in ids]
    n = np.array([counts.loc[sel, "n"].sum() for sel in under], dtype=np.int64)
    total = counts["n"].sum()
    confidence = np.array([counts.loc[sel, "confidence_sum"].sum() for sel in under])
    return segments.assign(
        n_users=n, share_of_users=n / max(total, 1),
        mean_confidence=np.where(n > 0, confidence / np.maximum(n, 1), np.nan))


def new_user_scores(fit, features):
    """segmentation_scores: users the persisted fit has not segmented, scored with it."""
    if not is_spark(fit):
        return score_new_users(fit.df(), features.df())
    from segscope.spark.frames import key_frame, score_distributed

    version, result = load_result(fit.toPandas())
    key = result.tree.preprocessor_.key
    known = result.assignments[key].to_numpy()
    if result.unscored_keys is not None:
        known = np.concatenate([known, result.unscored_keys])
    new = features.join(key_frame(features, key, known), on=key, how="left_anti")
    return score_distributed(new, result.tree, version, SCORE_COLUMNS)


def fitted_rows(fit: pd.DataFrame, relation, column: str | None = None) -> pd.DataFrame:
    """The rows of ``relation`` the explainer and the stability checks read: all of them on
    DuckDB; on Spark those of the users the fit saw (``column`` holds the user key: the fit's
    key by default), collected to the driver."""
    if not is_spark(relation):
        return relation.df()
    from segscope.spark.frames import rows_of

    _, result = load_result(fit)
    key = result.tree.preprocessor_.key
    return rows_of(relation, column or key, result.assignments[key].to_numpy())
