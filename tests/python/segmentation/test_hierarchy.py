import numpy as np

from segscope.segmentation.hierarchy import splits_of


def test_splits_are_read_back_from_leaf_paths():
    leaves = ["1.1", "1.2", "2", "1.1", "3", "2", "1.2", "-1"]
    splits = {s.segment_id: s for s in splits_of(leaves)}
    assert list(splits) == ["root", "1"]
    root = splits["root"]
    assert root.parent_segment_id is None
    assert root.child_ids == ["-1", "1", "2", "3"]
    assert np.asarray(root.child_ids)[root.child].tolist() == [
        "1", "1", "2", "1", "3", "2", "1", "-1"
    ]
    inner = splits["1"]
    assert inner.parent_segment_id == "1"
    assert inner.rows.tolist() == [0, 1, 3, 6]
    assert np.asarray(inner.child_ids)[inner.child].tolist() == ["1.1", "1.2", "1.1", "1.2"]


def test_excluded_leaves_take_no_part_and_single_child_nodes_are_no_split():
    splits = splits_of(["-1", "2.1", "3", "-1"], exclude=("-1",))
    # 2 has one child only: it did not split, and -1 is no child of the root
    assert [(s.segment_id, s.child_ids) for s in splits] == [("root", ["2", "3"])]


def test_children_are_ordered_as_numbers_not_strings():
    (root,) = splits_of(["10", "2", "1"])
    assert root.child_ids == ["1", "2", "10"]
