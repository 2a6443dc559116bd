"""What the Python models do differently when dbt hands them Spark DataFrames.

The fit, the explainer and the stability checks run on the driver, on a bounded sample of users
collected there: the same sample the DuckDB fit draws, so both engines fit the same users.
Everyone else is scored where the data is: ``mapInPandas`` routes each partition's users down
the fitted tree, broadcast to the workers. Segment sizes are counted in Spark."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd


def is_spark(obj) -> bool:
    """A pyspark DataFrame or SparkSession (not DuckDB's relation or connection)."""
    return type(obj).__module__.startswith("pyspark")


def _session(frame):
    return frame.sparkSession


def key_frame(frame, key: str, keys) -> object:
    """A one-column Spark DataFrame of ``keys``, typed like ``frame``'s key column."""
    from pyspark.sql import functions as F

    key_type = frame.schema[key].dataType
    keys = pd.DataFrame({key: np.asarray(keys)})
    return _session(frame).createDataFrame(keys).select(F.col(key).cast(key_type).alias(key))


def rows_of(frame, key: str, keys) -> pd.DataFrame:
    """The rows of ``frame`` whose key is in ``keys``, on the driver, in key order."""
    from pyspark.sql import functions as F

    picked = frame.join(F.broadcast(key_frame(frame, key, keys)), on=key, how="left_semi")
    return picked.toPandas().sort_values(key, kind="stable", ignore_index=True)


def fit_sample(frame, key: str, size: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """(the users to fit on, on the driver, in key order; every user's key, sorted).

    Up to ``size`` users: all of them, else the pick SegmentTree itself would draw from the
    users in key order (only their keys travel to the driver to decide it)."""
    from segscope.segmentation._validation import derive_seed
    from segscope.segmentation.diagnostics import sample_index

    keys = np.sort(frame.select(key).toPandas()[key].to_numpy())
    if len(keys) != len(np.unique(keys)):
        raise ValueError(f"the segmentation input has duplicate {key} values: one row per user")
    if len(keys) <= size:
        rows = frame.toPandas().sort_values(key, kind="stable", ignore_index=True)
        return rows, keys
    picked = keys[sample_index(len(keys), size, derive_seed(seed, "fit_sample"))]
    return rows_of(frame, key, picked), keys


ASSIGNMENT_TYPES = {"segment_id": "string", "top_segment_id": "string",
                    "segment_path": "string", "depth": "bigint", "confidence": "double",
                    "is_outlier": "boolean", "is_noise": "boolean", "in_fit_sample": "boolean",
                    "model_version": "string"}


def assignment_schema(frame, key: str, columns: list[str]) -> str:
    key_type = frame.schema[key].dataType.simpleString()
    return ", ".join([f"`{key}` {key_type}", *(f"`{c}` {ASSIGNMENT_TYPES[c]}" for c in columns)])


def score_distributed(frame, tree, version: str, columns: list[str]):
    """Every user of ``frame`` routed down ``tree`` on the workers: a Spark DataFrame of
    ``key`` and ``columns`` (of segscope.warehouse.scored_users)."""
    from segscope.warehouse import scored_users

    key = tree.preprocessor_.key
    fitted = _session(frame).sparkContext.broadcast(pickle.dumps(tree, pickle.HIGHEST_PROTOCOL))

    def score(batches):
        model = pickle.loads(fitted.value)
        for batch in batches:
            if len(batch):
                yield scored_users(model, batch, version)[[key, *columns]]

    return frame.mapInPandas(score, assignment_schema(frame, key, columns))


def to_spark(session, frame: pd.DataFrame):
    """A pandas table as a Spark DataFrame, typed from its Arrow schema: a column with no value
    (or an empty table's) becomes a string column, where Spark would infer void or fail."""
    import pyarrow as pa
    from pyspark.sql.pandas.types import from_arrow_type
    from pyspark.sql.types import StringType, StructField, StructType

    arrow = pa.Schema.from_pandas(frame, preserve_index=False)
    schema = StructType([
        StructField(field.name,
                    StringType() if pa.types.is_null(field.type) else from_arrow_type(field.type))
        for field in arrow])
    frame = frame.astype({f.name: "string" for f in arrow if pa.types.is_null(f.type)})
    return session.createDataFrame(frame, schema=schema)


def segment_counts(assignments) -> pd.DataFrame:
    """Users and summed confidence per leaf segment, counted in Spark: ``segment_id, n,
    confidence_sum``."""
    from pyspark.sql import functions as F

    return (assignments.groupBy("segment_id")
            .agg(F.count(F.lit(1)).alias("n"), F.sum("confidence").alias("confidence_sum"))
            .toPandas())
