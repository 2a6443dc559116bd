"""Run dbt on Spark with its Python models executed in the same SparkSession.

dbt-spark submits Python models only to Databricks clusters. This adds a ``session``
submission method whose job is to run the code dbt compiled for the model (the file dbt writes
under target/run/: the model, then its ``saveAsTable``) with ``spark`` bound to the session
that ran the SQL models, and makes it the default. dbt itself keeps the DAG order, the tests
between models, and skipping what depends on a failure.
"""

from __future__ import annotations

import sys
import time

from dbt.adapters.base.impl import PythonJobHelper

SUBMISSION_METHOD = "session"


class SessionPythonJob(PythonJobHelper):
    """A Python model run in this process's SparkSession."""

    def __init__(self, parsed_model: dict, credentials) -> None:
        self.parsed_model = parsed_model

    def submit(self, compiled_code: str):
        from segscope.spark.session import get_session

        path = self.parsed_model.get("original_file_path", "<dbt python model>")
        started = time.perf_counter()
        exec(compile(compiled_code, path, "exec"),
             {"spark": get_session(), "__name__": "__dbt_python_model__"})
        print(f"segscope: {self.parsed_model.get('alias') or path} ran in the SparkSession in "
              f"{time.perf_counter() - started:.1f} s", flush=True)


_registered = False


def register() -> None:
    """Add the session submission method to dbt-spark's adapter, as its default (dbt-spark
    has no hook for this: the two adapter properties are replaced; pinned dbt-spark 1.11)."""
    global _registered
    if _registered:
        return
    from dbt.adapters.spark.impl import SparkAdapter

    databricks = SparkAdapter.python_submission_helpers.fget
    SparkAdapter.python_submission_helpers = property(
        lambda self: {**databricks(self), SUBMISSION_METHOD: SessionPythonJob})
    SparkAdapter.default_python_submission_method = property(lambda self: SUBMISSION_METHOD)
    _registered = True


def dbt_on_spark(args: list[str]) -> int:
    """``dbt <args> --target spark`` in this process; dbt's exit code (0 ok, 1 failures,
    2 an error before or outside the models)."""
    from segscope.spark.session import prepare_environment

    prepare_environment()
    register()
    from dbt.cli.main import dbtRunner

    if not any(a == "--target" or a.startswith("--target=") or a == "-t" for a in args):
        args = [*args, "--target", "spark"]
    result = dbtRunner().invoke(args)
    if result.exception is not None:
        print(f"segscope: dbt failed: {result.exception}", file=sys.stderr)
        return 2
    return 0 if result.success else 1
