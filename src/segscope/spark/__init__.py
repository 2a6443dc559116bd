"""segscope on Apache Spark: the same dbt project, built through dbt-spark.

dbt-spark runs SQL models on any Spark, but Python models only on Databricks. ``runner`` runs
``dbt`` in-process with a ``session`` submission method, so the Python models dbt compiles run
in the SparkSession that ran the SQL models, in dbt's DAG order. ``session`` builds that
session's settings, ``load`` copies raw tables from a DuckDB file into Spark, and ``frames``
holds what the Python models do differently on Spark DataFrames: fit on a sample collected to
the driver, score every user distributed.
"""
