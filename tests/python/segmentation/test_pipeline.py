import numpy as np
import pytest

from segscope.segmentation import DEFAULT_PARAMS, resolve_params, segment_users


def test_defaults_and_overrides():
    p = resolve_params({"max_depth": 2})
    assert p["max_depth"] == 2 and p["reducer"] == DEFAULT_PARAMS["reducer"]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"depth": 2}, "unknown parameter\\(s\\) \\['depth'\\]"),
        ({"reducer": "tsne"}, "'reducer'.*'pca', 'umap', 'none'"),
        ({"algorithm": "spectral"}, "'algorithm'.*'auto', 'kmeans', 'hdbscan', 'dbscan'"),
        ({"outlier_policy": "drop"}, "'outlier_policy'.*'flag', 'exclude', 'cap', 'own_segment'"),
        ({"noise_policy": None}, "'noise_policy'"),
        ({"max_depth": 0}, "'max_depth'.*>= 1"),
        ({"min_segment_share": 0.9}, "'min_segment_share'.*<= 0.5"),
        ({"k_min": 6, "k_max": 3}, "k_max=3 < k_min=6"),
        ({"fit_sample_size": "big"}, "'fit_sample_size'"),
    ],
)
def test_bad_params_raise(params, match, planted):
    df, cat, _ = planted
    with pytest.raises(ValueError, match=match):
        segment_users(df, cat, params)


def test_unusable_features_raise(planted):
    df, cat, _ = planted
    bad = df.copy()
    bad["f3"] = bad["f3"].astype(float)
    bad.loc[10, "f3"] = np.inf
    with pytest.raises(ValueError, match="'f3'.*infinite"):
        segment_users(bad, cat)
    const = df[["user_id"]].assign(a=1.0, b=0)
    with pytest.raises(ValueError, match="constant"):
        segment_users(const)


def test_umap_reducer_runs_end_to_end(planted):
    df, cat, truth = planted
    small = df.iloc[::3].reset_index(drop=True)
    res = segment_users(
        small,
        cat,
        {
            "reducer": "umap",
            "umap_n_epochs": 50,
            "umap_n_components": 3,
            "max_depth": 1,
            "k_max": 6,
            "null_reference": "gaussian",
        },
    )
    assert len(res.assignments) == len(small)
    assert res.assignments["confidence"].between(0, 1).all()
    assert set(res.tables()) >= {"assignments", "segments", "model_selection", "embedding_2d"}
