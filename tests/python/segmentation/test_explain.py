import numpy as np
import pandas as pd
import pytest

from segscope.segmentation import segment_users
from segscope.segmentation.explain import SegmentExplainer

FAST = {"k_max": 8}


@pytest.fixture(scope="module")
def explained(planted):
    df, cat, truth = planted
    result = segment_users(df, cat, FAST)
    leaves = result.assignments["segment_id"].to_numpy()
    explainer = SegmentExplainer(preprocessor=result.tree.preprocessor_, n_estimators=100)
    return result, explainer.fit(df, leaves)


def test_surrogates_reproduce_the_segments_on_held_out_users(explained):
    _, explainer = explained
    fidelity = explainer.fidelity_
    assert fidelity.groupby("parent_segment_id", dropna=False).split_macro_f1.first().min() >= 0.95
    assert fidelity.surrogate_f1.min() >= 0.9
    confusion = explainer.confusion_
    right = confusion[confusion.actual_segment_id == confusion.predicted_segment_id].n_users.sum()
    assert right / confusion.n_users.sum() >= 0.95


def test_sub_groups_are_explained_by_the_features_they_were_planted_on(explained):
    # the planted sub-groups differ only in f7..f9, by 2.5 sd on either side
    result, explainer = explained
    table = explainer.explanations_
    inner = table[table.parent_segment_id.notna()]
    assert len(inner)
    for segment_id, rows in inner.groupby("segment_id"):
        top = rows.nsmallest(3, "rank_in_segment")
        assert set(top.feature_name) == {"f7", "f8", "f9"}, segment_id
        # siblings are pushed in by opposite ends of the same features
        assert top.direction.nunique() == 1
    directions = inner[inner.feature_name == "f9"].groupby("parent_segment_id").direction
    assert (directions.nunique() == 2).all()


def test_one_hot_levels_add_up_to_their_feature(explained):
    _, explainer = explained
    table = explainer.explanations_
    assert "plan" in set(table.feature_name)
    assert not table.feature_name.str.contains("=").any()
    plan = table[table.feature_name == "plan"]
    assert set(plan.direction.dropna()) <= {"level"}
    assert set(plan.top_level.dropna()) <= {"free", "basic", "pro"}
    ranks = table.groupby("segment_id")["rank_in_segment"].apply(lambda r: sorted(r.tolist()))
    assert all(r == list(range(1, len(r) + 1)) for r in ranks)


def test_samples_are_bounded_so_cost_does_not_grow_with_users(planted):
    df, cat, _ = planted
    result = segment_users(df, cat, FAST)
    leaves = result.assignments["segment_id"].to_numpy()
    explainer = SegmentExplainer(
        preprocessor=result.tree.preprocessor_, n_estimators=20, train_sample_size=600,
        min_class_sample=50, shap_sample_size=40,
    ).fit(df, leaves)
    top = explainer.fidelity_[explainer.fidelity_.parent_segment_id.isna()]
    sampled = top.n_users_trained.sum() + top.n_users_held_out.iloc[0]
    assert sampled <= 600 + 50 * len(top)
    assert explainer.explanations_.n_users_explained.max() <= 40


@pytest.mark.parametrize(
    ("param", "value", "message"),
    [
        ("n_estimators", 0, "'n_estimators'"),
        ("test_share", 0.9, "'test_share'"),
        ("shap_sample_size", 1.5, "'shap_sample_size'"),
        ("preprocessor", None, "'preprocessor'"),
    ],
)
def test_bad_parameters_fail_naming_them(explained, planted, param, value, message):
    result, _ = explained
    df, _, _ = planted
    params = {"preprocessor": result.tree.preprocessor_, param: value}
    with pytest.raises(ValueError, match=message):
        SegmentExplainer(**params).fit(df, result.assignments["segment_id"])


def test_rows_and_segment_ids_must_align(explained, planted):
    result, _ = explained
    df, _, _ = planted
    with pytest.raises(ValueError, match="segment ids"):
        SegmentExplainer(preprocessor=result.tree.preprocessor_).fit(df, np.array(["1", "2"]))


def test_a_single_segment_has_nothing_to_explain(explained, planted):
    result, _ = explained
    one = pd.Series("1", index=range(len(planted[0])))
    explainer = SegmentExplainer(preprocessor=result.tree.preprocessor_).fit(planted[0], one)
    assert explainer.explanations_.empty and explainer.fidelity_.empty
    assert list(explainer.fidelity_.columns)[:2] == ["segment_id", "parent_segment_id"]
