"""Stable ids across refits: a refit's segments take the ids of the previous segments they
continue, whatever order the refit numbered them in; the lineage says what was kept, split,
merged, born or died."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

from segscope.segmentation.lineage import lineage, stable_ids
from segscope.segmentation.pipeline import segment_users

PREVIOUS = pd.Series(["1"] * 40 + ["2"] * 40 + ["3.1"] * 20 + ["3.2"] * 20,
                     index=range(120))
NODES = ["1", "2", "3", "3.1", "3.2"]


def statuses(previous, new, previous_nodes, new_nodes) -> dict[str, str]:
    table, _ = lineage(previous, new, previous_nodes, new_nodes)
    return dict(zip(table.segment_id, table.status, strict=True))


def test_a_renumbered_refit_gets_the_previous_ids_back():
    renumber = {"1": "2", "2": "1", "3.1": "3.2", "3.2": "3.1"}
    new = PREVIOUS.map(renumber)
    mapping = stable_ids(PREVIOUS, new, NODES, NODES)
    assert new.map(mapping).equals(PREVIOUS)
    assert set(statuses(PREVIOUS, new.map(mapping), NODES, NODES).values()) == {"kept"}


def test_ids_follow_members_not_positions_and_new_users_do_not_count():
    new = PREVIOUS.map({"1": "2", "2": "1", "3.1": "3.1", "3.2": "3.2"})
    # users only the new fit has, all in its segment 1 (the previous 2): they change nothing
    grown = pd.concat([new, pd.Series(["1"] * 100, index=range(1000, 1100))])
    mapping = stable_ids(PREVIOUS, grown, NODES, NODES)
    assert mapping["1"] == "2" and mapping["2"] == "1"


def test_a_new_segment_gets_a_new_id_never_a_previous_one():
    # the previous segment 2 falls apart into two new segments of 20 users each
    new = PREVIOUS.copy()
    new.iloc[40:60] = "2"
    new.iloc[60:80] = "4"
    nodes = ["1", "2", "3", "3.1", "3.2", "4"]
    mapping = stable_ids(PREVIOUS, new, nodes, NODES)
    assert mapping["1"] == "1" and mapping["3"] == "3"
    # Jaccard 0.5 with the previous 2: it keeps the id; the other half is born as 4
    assert mapping["2"] == "2" and mapping["4"] == "4"
    table = statuses(PREVIOUS, new.map(mapping), NODES, nodes)
    assert table["2"] == "split" and table["4"] == "born"


def test_merged_died_and_noise():
    # previous 1 and 2 merge into one segment; 3's children disappear (3 becomes a leaf), and
    # 5 users of the previous 1 are noise under it
    new = PREVIOUS.map({"1": "1", "2": "1", "3.1": "2", "3.2": "2"})
    new.iloc[:5] = "2.0"
    new_nodes = ["1", "2", "2.0"]
    mapping = stable_ids(PREVIOUS, new, new_nodes, NODES, noise_nodes={"2.0"})
    # the previous 3 continues as the new 2, its noise as 3.0; the merged segment (75 users:
    # 35 of the previous 1, all 40 of the previous 2) continues 2 (Jaccard 0.53)
    assert mapping["2"] == "3" and mapping["2.0"] == "3.0" and mapping["1"] == "2"
    table = statuses(PREVIOUS, new.map(mapping), NODES, ["2", "3", "3.0"])
    assert table["2"] == "merged" and table["1"] == "died"
    assert table["3.1"] == "died" and table["3.2"] == "died"
    migrations = lineage(PREVIOUS, new.map(mapping), NODES, ["2", "3", "3.0"])[1]
    assert migrations.n_users.sum() == len(PREVIOUS)
    assert set(migrations.loc[migrations.previous_segment_id == "1", "segment_id"]) == {
        "2", "3.0"}


def test_a_refit_that_numbers_segments_otherwise_gets_the_ids_back(planted):
    """Refitted with another seed on a resample where the largest planted group became the
    smallest, the tree numbers its segments by size otherwise; carried over, every segment
    gets the first fit's id back, in every table and when scoring new users."""
    df, cat, truth = planted
    first = segment_users(df, cat, {"random_state": 0, "max_depth": 2})
    largest = truth["top"] == truth["top"].value_counts().idxmax()
    keep = ~largest | (np.random.default_rng(1).random(len(df)) < 0.2)
    resample = df[keep.to_numpy()].reset_index(drop=True)
    refit = segment_users(resample, cat, {"random_state": 1, "max_depth": 2})
    renumbered = refit.assignments.set_index("user_id")["segment_id"]
    before = first.assignments.set_index("user_id")["segment_id"].loc[renumbered.index]
    assert (renumbered == before).mean() < 0.5  # numbered otherwise
    carried = refit.carry_ids_from(first.assignments.set_index("user_id")["segment_id"],
                                   first.segments["segment_id"].tolist())

    after = carried.assignments.set_index("user_id")["segment_id"]
    assert (after == before).mean() >= 0.97
    assert adjusted_rand_score(renumbered, after) == 1.0  # renamed, not regrouped
    assert set(carried.lineage.status) == {"kept"}
    assert set(carried.segments.segment_id) == set(first.segments.segment_id)
    scored = carried.tree.predict(resample.head(300)).set_index("user_id")["segment_id"]
    assert (scored == after.loc[scored.index]).mean() >= 0.97
    for table in (carried.model_selection, carried.embedding_2d, carried.explained_variance):
        assert set(table.segment_id) - {"root"} <= set(carried.segments.segment_id)
