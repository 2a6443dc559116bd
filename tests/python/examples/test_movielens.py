"""The MovieLens worked example: the real ml-latest-small data through the loader and the
bring-your-own-events vars alone (examples/movielens/vars.yml), the whole `dbt build`, and
segment_items naming each segment's distinctive movies."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml

from segscope.cli import main as cli_main
from segscope.examples.movielens import load

PROJECT_ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = PROJECT_ROOT / "examples" / "movielens"
DATA = EXAMPLE / "data"


def csv_rows(name: str) -> int:
    with open(DATA / name, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def test_the_loader_loads_every_row(tmp_path):
    with duckdb.connect(str(tmp_path / "raw.duckdb")) as con:
        counts = load(con, DATA)
        assert counts == {"ratings": csv_rows("ratings.csv"), "movies": csv_rows("movies.csv")}
        assert counts == {"ratings": 100_836, "movies": 9_742}
        (users, first, last, names, ids), = con.sql(
            "select count(distinct user_id), min(rated_at), max(rated_at), "
            "list(distinct event_name), count(distinct rating_id) from movielens.ratings"
        ).fetchall()
        (titled,), = con.sql(
            "select count(*) from movielens.movies where title like '%(1995)'").fetchall()
    # as the data set's README states: 610 users, 1996-03-29 .. 2018-09-24 (UTC)
    assert users == 610
    assert str(first) == "1996-03-29 18:36:55" and str(last) == "2018-09-24 14:27:30"
    assert names == ["rated"] and ids == 100_836
    assert titled > 0


def test_the_license_travels_with_the_data():
    assert "Usage License" in (DATA / "README.txt").read_text(encoding="utf-8")
    assert (DATA / "SOURCE.txt").exists()


@pytest.fixture(scope="module")
def example_vars() -> dict:
    return yaml.safe_load((EXAMPLE / "vars.yml").read_text())


@pytest.fixture(scope="module")
def built(tmp_path_factory, project_class, example_vars):
    """The whole project built on MovieLens, then segment_items and everything it depends on
    (the fit included) rebuilt; the first build's segment_items are kept to compare."""
    project = project_class(tmp_path_factory.mktemp("movielens") / "project")
    with duckdb.connect(str(project.db)) as con:
        load(con, DATA)
    first = project.build(vars=example_vars)
    assert first.returncode == 0, first.output
    before = frame(project, "select * from segment_items order by segment_id, rank")
    again = project.build("--select", "+segment_items", "--indirect-selection", "cautious",
                          vars=example_vars)
    assert again.returncode == 0, again.output
    return project, before


def frame(project, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(project.db), read_only=True) as con:
        return con.sql(sql).df()


@pytest.fixture(scope="module")
def items(built) -> pd.DataFrame:
    project, _ = built
    return frame(project, "select * from segment_items order by segment_id, rank")


def test_every_rater_is_segmented(built):
    project, _ = built
    (n_users, n_segments, n_leaves), = project.query(
        "select (select count(*) from user_segments), count(*), count(*) filter (where is_leaf) "
        "from segments")
    assert n_users == 610
    assert n_leaves >= 2, "MovieLens raters should split into segments"
    assert n_segments > n_leaves


def test_segment_items_are_real_movie_titles(built, items):
    project, _ = built
    titles = dict(project.query("select cast(movie_id as varchar), title from movielens.movies"))
    assert len(items) > 0
    assert (items["item_label"] == items["item_id"].map(titles)).all()
    assert items["item_label"].str.fullmatch(r".+ \(\d{4}\)\s*").mean() > 0.9


def test_every_leaf_with_item_events_has_items(built, items):
    project, _ = built
    leaves_with_items = {segment for segment, in project.query("""
        select distinct user_segments.segment_id
        from user_segments
        inner join int_events__in_window as events
            on cast(events.user_id as bigint) = user_segments.user_id
        where events.item_id is not null""")}
    assert leaves_with_items
    assert leaves_with_items <= set(items["segment_id"])


def test_ranks_run_from_one_by_tf_idf(items):
    for segment_id, rows in items.groupby("segment_id"):
        assert rows["rank"].tolist() == list(range(1, len(rows) + 1)), segment_id
        assert rows["tf_idf"].is_monotonic_decreasing, segment_id
        assert len(rows) <= 20


def test_a_segments_top_item_is_more_common_in_it_than_in_the_population(built, items):
    """Measured from the users and their events, not from segment_items' own columns."""
    project, _ = built
    members = frame(project, """
        select segments.segment_id, segments.depth, user_segments.user_id
        from user_segments
        inner join segments
            on user_segments.segment_id = segments.segment_id
            or user_segments.segment_id like segments.segment_id || '.%'""")
    rated = frame(project, "select distinct cast(user_id as bigint) as user_id, item_id "
                           "from int_events__in_window")
    top = items[items["rank"] == 1]
    assert len(top) == members["segment_id"].nunique()
    for row in top.itertuples():
        raters = set(rated.loc[rated["item_id"] == row.item_id, "user_id"])
        in_segment = members.loc[members["segment_id"] == row.segment_id, "user_id"]
        # the population the segment is set against: every user of a segment at its depth
        # (at depth 1, every segmented user)
        population = members.loc[members["depth"] == row.depth, "user_id"]
        segment_share = in_segment.isin(raters).mean()
        population_share = population.isin(raters).mean()
        assert segment_share > population_share, (row.segment_id, row.item_label)
        assert row.segment_user_share == pytest.approx(segment_share)


def test_a_rebuild_gives_the_same_table(built, items):
    _, before = built
    pd.testing.assert_frame_equal(before, items)


def test_the_items_command_prints_each_segment_with_its_movies(built, items, capsys):
    project, _ = built
    assert cli_main(["items", "--db", str(project.db), "--top", "3"]) == 0
    printed = capsys.readouterr().out
    for segment_id, rows in items.groupby("segment_id"):
        assert f"{segment_id}: " in printed
        for label in rows.loc[rows["rank"] <= 3, "item_label"]:
            assert label in printed


def test_the_load_command_loads_and_refuses_a_file_named_like_its_schema(tmp_path, capsys):
    db = tmp_path / "example.duckdb"
    assert cli_main(["movielens", "--db", str(db), "--data", str(DATA)]) == 0
    assert "movielens.ratings: 100,836 rows" in capsys.readouterr().out
    # DuckDB cannot bind views over movielens.ratings inside a file called movielens.duckdb
    assert cli_main(["movielens", "--db", str(tmp_path / "movielens.duckdb")]) == 2
    assert "named like the schema" in capsys.readouterr().err
