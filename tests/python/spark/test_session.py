"""The loader and the runner start Spark with the settings dbt-spark renders from profiles.yml:
one metastore and one table folder for all three."""

from __future__ import annotations

import os
from pathlib import Path

import jinja2
import pytest
import yaml

from segscope.spark.session import spark_conf

PROFILES = Path(__file__).resolve().parents[3] / "profiles.yml"


def rendered_spark_output() -> dict:
    text = jinja2.Template(PROFILES.read_text()).render(
        env_var=lambda name, default=None: os.environ.get(name, default))
    return yaml.safe_load(text)["segscope"]["outputs"]["spark"]


@pytest.mark.parametrize("env", [{}, {"SEGSCOPE_SPARK_DIR": "/data/spark",
                                      "SEGSCOPE_SPARK_MASTER": "spark://driver:7077",
                                      "SEGSCOPE_SPARK_SHUFFLE_PARTITIONS": "64"}])
def test_the_session_settings_are_the_profiles(monkeypatch, env):
    for name in ("SEGSCOPE_SPARK_DIR", "SEGSCOPE_SPARK_MASTER",
                 "SEGSCOPE_SPARK_SHUFFLE_PARTITIONS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    output = rendered_spark_output()
    assert output["method"] == "session"
    assert {k: str(v) for k, v in output["server_side_parameters"].items()} == spark_conf()
