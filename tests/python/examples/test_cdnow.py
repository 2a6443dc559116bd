"""The CDNOW worked example: the purchase log downloaded from the package index, loaded, built
through the vars alone (examples/cdnow/vars.yml), and set against classic RFM quintiles."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from segscope.cli import main as cli_main
from segscope.examples.cdnow import N_PURCHASES, eta_squared, fetch, load, quintiles

PROJECT_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = PROJECT_ROOT / "examples" / "cdnow"
# one build for the module, on one worker
pytestmark = pytest.mark.xdist_group("cdnow")


def test_the_loader_reads_the_log_format(tmp_path):
    (tmp_path / "CDNOW_master.txt").write_text(
        " customer_id  date number_of_cds  dollar_value\n"
        " 00001 19970101  1   11.77\n"
        " 00002 19970112  1   12.00\n"
        " 00002 19970112  5   77.00\n", encoding="utf-8")
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert load(con, tmp_path, "shop") == 3
        rows = con.sql("select purchase_id, customer_id, cast(purchased_at as varchar), "
                       "event_name, n_cds, dollars from shop.purchases order by 1").fetchall()
    assert rows[0] == (1, "00001", "1997-01-01 00:00:00", "purchase", 1, 11.77)
    assert rows[2] == (3, "00002", "1997-01-12 00:00:00", "purchase", 5, 77.0)


def test_rfm_scores_share_ties_and_eta_squared_measures_explained_variance():
    values = pd.Series([1, 1, 1, 1, 2, 3, 4, 5, 6, 7])
    scores = quintiles(values)
    assert scores[:4].nunique() == 1 and scores.iloc[-1] == 5 and scores.between(1, 5).all()
    assert eta_squared(pd.Series(list("aabb")), pd.Series([1, 1, 3, 3])) == 1.0
    assert eta_squared(pd.Series(list("abab")), pd.Series([1, 1, 3, 3])) == 0.0


@pytest.fixture(scope="module")
def built(tmp_path_factory, project_class):
    data = tmp_path_factory.mktemp("cdnow_data")
    fetch(data)
    project = project_class(tmp_path_factory.mktemp("cdnow") / "project")
    with duckdb.connect(str(project.db)) as con:
        assert load(con, data) == N_PURCHASES
    result = project.build(vars=yaml.safe_load((EXAMPLE / "vars.yml").read_text()))
    assert result.returncode == 0, result.output[-3000:]
    return project


def test_the_leaves_explain_frequency_and_monetary_quintiles(built, capsys):
    assert cli_main(["cdnow", "--compare", "--db", str(built.db)]) == 0
    shown = capsys.readouterr().out
    line = next(text for text in shown.splitlines() if text.startswith("Variance"))
    eta = dict(part.rsplit(" ", 1) for part in line.split(": ", 1)[1].split(", "))
    assert float(eta["frequency"]) >= 0.5 and float(eta["monetary"]) >= 0.5, line
    (n_users,), = built.query("select count(*) from user_segments")
    assert n_users == 23_570


def test_a_log_of_dates_segments_without_the_time_of_day(built):
    told = {name for (name,) in built.query(
        "select feature_name from feature_catalog where not_segmented_because is not null")}
    assert told == {"share_night", "share_morning", "share_afternoon", "share_evening"}
    names = " ".join(name for (name,) in built.query("select name from segments"))
    assert "share" not in names, names
