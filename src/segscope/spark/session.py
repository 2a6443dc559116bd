"""The settings of segscope's local SparkSession: the same as profiles.yml's spark target
renders, so the loader, the runner and dbt share one metastore and one table folder."""

from __future__ import annotations

import os
import sys
import warnings
from pathlib import Path

DEFAULT_DIR = "warehouse/spark"


def spark_dir() -> Path:
    """Where the Spark tables (``tables/``) and the embedded metastore (``metastore/``) live."""
    return Path(os.environ.get("SEGSCOPE_SPARK_DIR", DEFAULT_DIR))


def spark_conf() -> dict[str, str]:
    """What profiles.yml's ``server_side_parameters`` render to, with the same env vars."""
    home = spark_dir()
    return {
        "spark.master": os.environ.get("SEGSCOPE_SPARK_MASTER", "local[2]"),
        "spark.driver.memory": os.environ.get("SEGSCOPE_SPARK_DRIVER_MEMORY", "4g"),
        "spark.sql.shuffle.partitions": os.environ.get("SEGSCOPE_SPARK_SHUFFLE_PARTITIONS", "4"),
        "spark.sql.warehouse.dir": f"{home}/tables",
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={home}/metastore",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.log.level": os.environ.get("SEGSCOPE_SPARK_LOG_LEVEL", "ERROR"),
    }


def prepare_environment() -> None:
    """Before the JVM starts: Python workers (mapInPandas) must run this interpreter, which has
    segscope and its libraries; without it they start the system python3."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # pyspark 4.3 warns on pandas 3 at every conversion; what segscope uses works (tested)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    # one local machine: do not resolve the host name to a network address
    if os.environ.get("SEGSCOPE_SPARK_MASTER", "local[2]").startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def get_session():
    """The SparkSession with segscope's settings (the active one when dbt already built it)."""
    prepare_environment()
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    # the session dbt-spark started (active only in the thread that started it)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    if SparkContext._active_spark_context is not None:
        return SparkSession.builder.getOrCreate()
    builder = SparkSession.builder.appName("segscope").enableHiveSupport()
    for name, value in spark_conf().items():
        builder = builder.config(name, value)
    return builder.getOrCreate()
