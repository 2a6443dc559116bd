"""Spark fixtures (`make test-spark`): a local SparkSession for the frame-level tests, with its
own metastore; the whole-project build runs in its own processes, on another."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    home = tmp_path_factory.mktemp("spark-session")
    previous = os.environ.get("SEGSCOPE_SPARK_DIR")
    os.environ["SEGSCOPE_SPARK_DIR"] = str(home)
    from segscope.spark.session import get_session

    session = get_session()
    yield session
    session.stop()
    if previous is None:
        os.environ.pop("SEGSCOPE_SPARK_DIR", None)
    else:
        os.environ["SEGSCOPE_SPARK_DIR"] = previous
