"""The Python models' Spark side: the same sample as the DuckDB fit, distributed scoring that
agrees with the driver, and tables Spark can type."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from segscope.segmentation.pipeline import segment_users
from segscope.spark.frames import ASSIGNMENT_TYPES, fit_sample, score_distributed, to_spark
from segscope.warehouse import fit_segmentation, load_result, scored_users

pytestmark = pytest.mark.spark


def _users(n: int, seed: int = 0) -> pd.DataFrame:
    """Three well separated groups of users, keys shuffled (a warehouse's row order)."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    centers = np.array([[0.0, 0.0, 0.0], [6.0, 0.0, 3.0], [0.0, 6.0, -3.0]])
    X = centers[group] + rng.normal(size=(n, 3))
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    frame.insert(0, "user_id", rng.permutation(np.arange(10_000, 10_000 + n)).astype("int64"))
    return frame


PARAMS = {"max_depth": 1, "random_state": 3, "null_reference": "none", "min_child_size": 20}


def test_the_driver_sample_is_the_users_the_duckdb_fit_samples(spark):
    users = _users(900)
    params = {**PARAMS, "fit_sample_size": 400}
    sample, keys = fit_sample(spark.createDataFrame(users), "user_id", 400, 3)
    fitted = segment_users(users.sort_values("user_id", ignore_index=True), None, params)
    in_fit = fitted.assignments.loc[fitted.assignments["in_fit_sample"], "user_id"]
    assert len(sample) == 400
    assert sample["user_id"].tolist() == sorted(in_fit.tolist())
    assert keys.tolist() == sorted(users["user_id"].tolist())


def test_every_user_is_fitted_on_the_driver_when_they_fit_in_the_sample(spark):
    users = _users(300)
    sample, keys = fit_sample(spark.createDataFrame(users), "user_id", 1000, 0)
    assert sample["user_id"].tolist() == sorted(users["user_id"].tolist())
    assert len(keys) == 300


def test_duplicate_keys_are_refused_with_the_rule(spark):
    users = _users(50)
    users.loc[1, "user_id"] = users.loc[0, "user_id"]
    with pytest.raises(ValueError, match="duplicate user_id values: one row per user"):
        fit_sample(spark.createDataFrame(users), "user_id", 10, 0)


def test_workers_score_every_user_as_the_driver_does(spark):
    users = _users(1200, seed=1)
    sample, keys = fit_sample(spark.createDataFrame(users), "user_id", 500, 3)
    row = fit_segmentation(sample, None, {**PARAMS, "fit_sample_size": 500},
                           population_keys=keys)
    version, result = load_result(row)
    assert row["n_users"].iloc[0] == 1200
    assert sorted(result.unscored_keys.tolist()) == sorted(
        set(users["user_id"]) - set(sample["user_id"]))
    rest = users[users["user_id"].isin(result.unscored_keys)]
    columns = list(ASSIGNMENT_TYPES)
    on_workers = (score_distributed(spark.createDataFrame(rest).repartition(3), result.tree,
                                    version, columns)
                  .toPandas().sort_values("user_id", ignore_index=True))
    on_driver = scored_users(result.tree, rest.sort_values("user_id", ignore_index=True),
                             version)
    assert len(on_workers) == len(rest) == 700
    pd.testing.assert_series_equal(on_workers["segment_id"], on_driver["segment_id"])
    np.testing.assert_allclose(on_workers["confidence"], on_driver["confidence"])
    assert (on_workers["model_version"] == version).all()
    assert not on_workers["in_fit_sample"].any()


def test_columns_without_a_value_become_strings_not_void(spark):
    frame = pd.DataFrame({"segment_id": ["1", "2"], "parent_segment_id": [None, None],
                          "n_users": [3, 4]})
    types = dict(to_spark(spark, frame).dtypes)
    assert types == {"segment_id": "string", "parent_segment_id": "string", "n_users": "bigint"}
    empty = to_spark(spark, pd.DataFrame({"previous_segment_id": pd.Series([], dtype=object),
                                          "n_users": pd.Series([], dtype="int64")}))
    assert dict(empty.dtypes) == {"previous_segment_id": "string", "n_users": "bigint"}
    assert empty.count() == 0
