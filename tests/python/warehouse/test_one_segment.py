"""No silent nothing: a tree that did not split warns in `dbt build` and says why at the top of
`segscope summary` and of the report."""

from __future__ import annotations

import duckdb
import pandas as pd
import yaml

from segscope.cli import summary
from segscope.report.data import load, one_segment_notice
from segscope.report.page import render

ROOT_REASON = "kept whole [kmeans {\"k\": 2}: quality 0.31, below the minimum 0.99]"


def selection(reason: str) -> pd.DataFrame:
    return pd.DataFrame({"node_depth": [0, 0], "split_reason": [reason, reason]})


def test_the_notice_gives_the_root_s_reason_only_when_nothing_split():
    one = pd.DataFrame({"depth": [1]})
    notice = one_segment_notice(one, selection(ROOT_REASON))
    assert notice.startswith("One segment: the tree did not split")
    assert ROOT_REASON in notice
    assert "no candidate" in one_segment_notice(one, selection(ROOT_REASON).iloc[:0])
    split = pd.DataFrame({"depth": [1, 1, 2, 2]})
    assert one_segment_notice(split, selection(ROOT_REASON)) is None


def test_a_tree_that_did_not_split_warns_and_says_so(project, capsys):
    params = yaml.safe_load((project.root / "dbt_project.yml").read_text())["vars"][
        "segscope_segmentation"]
    # no split can reach this quality
    result = project.build(vars={"segscope_segmentation": {**params, "split_min_silhouette": 0.99}})
    assert result.returncode == 0, result.output
    assert result.status("warn_the_tree_is_one_segment") == "warn"
    assert project.query("select count(*) from segments") == [(1,)]
    (node, reason), = project.failures_of("warn_the_tree_is_one_segment")
    (root_reason,), = project.query(
        "select distinct split_reason from segment_model_selection where node_depth = 0")
    assert (node, reason) == ("root", root_reason)
    assert "0.99" in reason, reason

    assert summary(str(project.db)) == 0
    assert f"One segment: the tree did not split, so everybody is in the same segment. At the " \
           f"root: {root_reason}." in capsys.readouterr().out
    with duckdb.connect(str(project.db), read_only=True) as con:
        page = render(load(con))
    assert page.index('id="one-segment"') < page.index("<nav>")
