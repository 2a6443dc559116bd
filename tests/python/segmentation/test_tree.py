import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import adjusted_rand_score as ari

from segscope.segmentation import Preprocessor, SegmentTree, segment_users
from segscope.segmentation.tree import null_sample

from .conftest import make_blob

FAST = {"k_max": 8}


@pytest.fixture(scope="module")
def fitted(planted):
    df, cat, truth = planted
    return segment_users(df, cat, FAST)


def _clean(truth):
    return ~truth["is_outlier"].to_numpy()


def test_recovers_planted_top_groups_and_zooms_into_subgroups(planted, fitted):
    _, _, truth = planted
    a, m = fitted.assignments, _clean(truth)
    top_ari = ari(truth["top"][m], a["top_segment_id"][m])
    leaf_ari = ari(truth["sub"][m], a["segment_id"][m])
    print(f"top ARI {top_ari:.3f} leaf ARI {leaf_ari:.3f}")
    assert top_ari >= 0.95
    assert leaf_ari >= 0.90
    assert (a["depth"] == 2).any()  # the sub-groups come from zooming in


def test_output_tables_are_consistent(planted, fitted):
    df, _, truth = planted
    a, seg, ms = fitted.assignments, fitted.segments, fitted.model_selection
    assert list(a.columns[:4]) == ["user_id", "segment_id", "top_segment_id", "segment_path"]
    assert a["user_id"].tolist() == df["user_id"].tolist()
    assert a["confidence"].between(0, 1).all()
    assert a["is_outlier"].sum() == pytest.approx(0.01 * len(df), abs=3)
    assert a["is_outlier"][truth["is_outlier"].to_numpy()].mean() >= 0.8  # planted far outliers
    assert set(a["segment_id"]) == set(seg.loc[seg["is_leaf"], "segment_id"])
    top = seg[seg["depth"] == 1]
    assert top["share_of_users"].sum() == pytest.approx(1.0)
    # siblings numbered by decreasing size
    for _, sib in seg.groupby(seg["parent_segment_id"].fillna("root")):
        sib = sib[~sib["is_noise"]]
        order = sib["segment_id"].str.split(".").str[-1].astype(int).argsort()
        assert sib["n_fit"].to_numpy()[order].tolist() == sorted(sib["n_fit"], reverse=True)
    for _, r in seg[~seg["is_leaf"]].iterrows():
        kids = seg[seg["parent_segment_id"] == r["segment_id"]]
        assert len(kids) == r["n_children"] and kids["n_users"].sum() == r["n_users"]
    # one row per candidate per evaluated node; exactly one chosen per split node
    per_node = ms.groupby("segment_id")
    assert set(per_node.groups) == {"root"} | set(seg["segment_id"])
    for node, rows in per_node:
        split = rows["did_split"].iloc[0]
        assert rows["is_chosen"].sum() == (1 if split else 0), node
        assert rows["split_reason"].str.len().gt(0).all()
    root = ms[ms["segment_id"] == "root"]
    assert set(root["algorithm"]) == {"kmeans", "hdbscan", "dbscan"}
    assert len(root[root["algorithm"] == "kmeans"]) == 7  # k = 2..8
    assert {"x", "y", "segment_id"} <= set(fitted.embedding_2d.columns)
    assert {"transform", "onehot", "explained_variance", "outliers"} <= set(
        fitted.preprocess_log["step"]
    )
    assert (fitted.explained_variance["segment_id"] == "root").any()


def test_same_seed_gives_identical_assignments(planted, fitted):
    df, cat, _ = planted
    again = segment_users(df, cat, FAST)
    assert again.assignments.equals(fitted.assignments)
    assert again.segments.equals(fitted.segments)


def test_other_seed_agrees(planted, fitted):
    df, cat, _ = planted
    other = segment_users(df, cat, {**FAST, "random_state": 11})
    score = ari(fitted.assignments["segment_id"], other.assignments["segment_id"])
    print(f"seed ARI {score:.3f}")
    assert score >= 0.9


def test_fit_on_sample_then_score_everyone(planted):
    df, cat, truth = planted
    res = segment_users(df, cat, {**FAST, "fit_sample_size": 1500, "max_depth": 1})
    a, m = res.assignments, _clean(truth)
    assert a["in_fit_sample"].sum() == 1500
    assert (a["segment_id"] != "").all()
    score = ari(truth["top"][m], a["top_segment_id"][m])
    scored = m & ~a["in_fit_sample"].to_numpy()
    print(f"sampled top ARI {score:.3f}")
    assert score >= 0.95
    assert ari(truth["top"][scored], a["top_segment_id"][scored]) >= 0.95
    # the fitted tree scores new users the same way
    pred = res.tree.predict(df.iloc[:300])
    assert ari(pred["segment_id"], a["segment_id"].iloc[:300]) >= 0.95


def test_copula_null_keeps_each_column_s_values_and_the_rank_correlation():
    rng = np.random.default_rng(0)
    activity = rng.lognormal(0, 1, 3000)
    counts = rng.poisson(np.outer(activity, [0.3, 1.0, 2.0]))  # zero-inflated, correlated
    Z = np.column_stack([np.log1p(counts), rng.integers(0, 2, 3000)]).astype(float)
    Z0 = null_sample(Z, "copula", np.random.default_rng(1), [[0], [1], [2], [3]])
    for j in range(Z.shape[1]):
        assert set(np.unique(Z0[:, j])) <= set(np.unique(Z[:, j]))
        assert abs((Z0[:, j] == 0).mean() - (Z[:, j] == 0).mean()) < 0.03
    for i, j in [(0, 1), (1, 2), (0, 3)]:
        assert abs(spearmanr(Z0[:, i], Z0[:, j])[0] - spearmanr(Z[:, i], Z[:, j])[0]) < 0.1


@pytest.mark.parametrize("kind", ["gaussian", "uniform"])
def test_structureless_data_is_not_split(kind):
    res = segment_users(make_blob(kind=kind), None, FAST)
    assert res.segments["segment_id"].tolist() == ["1"]
    assert (res.assignments["segment_id"] == "1").all()
    root = res.model_selection
    assert not root["did_split"].any() and not root["is_chosen"].any()
    assert root["split_reason"].iloc[0].startswith("leaf:")


def test_noise_unassigned_and_outliers_own_segment(planted):
    df, cat, _ = planted
    res = segment_users(
        df,
        cat,
        {
            "algorithm": "hdbscan",
            "noise_policy": "unassigned",
            "outlier_policy": "own_segment",
            "max_depth": 1,
        },
    )
    a = res.assignments
    assert (a.loc[a["is_outlier"], "segment_id"] == "-1").all()
    assert (a.loc[~a["is_outlier"], "segment_id"] != "-1").all()
    noise_ids = set(a.loc[a["is_noise"], "segment_id"])
    assert all(s == "0" or s.endswith(".0") for s in noise_ids)
    seg = res.segments.set_index("segment_id")
    assert seg.loc["-1", "is_outlier_segment"]


def test_bad_params_raise_at_fit(planted):
    df, _, _ = planted
    tree = SegmentTree(noise_policy="drop")
    with pytest.raises(ValueError, match="'noise_policy'.*'nearest', 'unassigned'"):
        tree.fit(df)
    with pytest.raises(ValueError, match="max_depth"):
        SegmentTree(max_depth=0).fit(df)


def test_unusable_input_raises(planted):
    df, cat, _ = planted
    with pytest.raises(ValueError, match="too few rows"):
        SegmentTree(preprocessor=Preprocessor(catalog=cat)).fit(df.head(3))
