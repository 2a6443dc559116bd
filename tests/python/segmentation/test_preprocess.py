import numpy as np
import pandas as pd
import pytest

from segscope.segmentation.preprocess import Preprocessor


def _frame(n=200, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "user_id": np.arange(n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "visits": np.floor(rng.lognormal(1.0, 1.5, size=n)).astype("int64"),
            "plan": rng.choice(["free", "pro"], size=n),
        }
    )


def test_fit_returns_self_and_keeps_params_untouched():
    cat = pd.DataFrame({"name": ["a"], "kind": ["numeric"]})
    pre = Preprocessor(catalog=cat, outlier_quantile=0.95)
    assert pre.fit(_frame()) is pre
    assert pre.get_params()["catalog"] is cat
    assert pre.get_params()["outlier_quantile"] == 0.95


def test_imputes_transforms_scales_and_onehots():
    df = _frame()
    df.loc[[3, 5], "a"] = np.nan
    pre = Preprocessor().fit(df)
    out = pre.transform(df)
    # a two-level one-hot is one column: the second is perfectly (anti-)correlated
    assert list(out.columns) == ["a", "b", "visits", "plan=free"]
    assert ("plan=pro", "duplicate of plan=free") in pre.dropped_columns_
    assert out.index.name == "user_id"
    assert np.isfinite(out.to_numpy()).all()
    assert abs(out["a"].median()) < 1e-9  # robust centring
    assert set(np.unique(out["plan=free"])) == {0.0, 1.0}
    # heavy-tailed integer column without a catalog gets log1p
    assert ("transform", "visits", "log1p") in {
        tuple(r) for r in pre.log_[["step", "name", "detail"]].to_numpy()
    }
    assert "impute" in set(pre.log_["step"])


def test_drops_constant_and_duplicate_columns_with_reason():
    df = _frame()
    df["const"] = 3.0
    df["a_copy"] = df["a"] * 2 + 1
    pre = Preprocessor().fit(df)
    assert ("const", "constant") in pre.dropped_columns_
    assert ("a_copy", "duplicate of a") in pre.dropped_columns_
    assert "const" not in pre.feature_names_out_ and "a_copy" not in pre.feature_names_out_


def test_a_feature_the_catalog_calls_uninformative_is_dropped_with_its_reason():
    df = _frame()
    reason = "the same for every user before smoothing: avg(x) = 0.0"
    cat = pd.DataFrame({"name": ["a", "b"], "kind": ["numeric", "share"],
                        "transform": ["none", "none"], "drop_reason": [None, reason]})
    pre = Preprocessor(catalog=cat).fit(df)
    assert ("b", reason) in pre.dropped_columns_
    assert pre.feature_names_out_ == ["a"]
    assert ("drop_column", "b", reason) in {
        tuple(r) for r in pre.log_[["step", "name", "detail"]].to_numpy()}
    assert list(pre.transform(df).columns) == ["a"]
    every = cat.assign(drop_reason=[reason, reason])
    with pytest.raises(ValueError, match="none carries information: a: the same for every"):
        Preprocessor(catalog=every).fit(df)


def test_rare_levels_are_grouped():
    df = _frame(400)
    df.loc[:2, "plan"] = "enterprise"
    pre = Preprocessor(rare_level_share=0.05).fit(df)
    assert "plan=__other__" in pre.feature_names_out_
    assert "plan=enterprise" not in pre.feature_names_out_


def test_catalog_controls_features_and_transforms():
    df = _frame()
    cat = pd.DataFrame(
        {
            "name": ["a", "visits", "plan"],
            "kind": ["numeric", "count", "categorical"],
            "transform": ["none", "none", "onehot"],
        }
    )
    pre = Preprocessor(catalog=cat).fit(df)
    assert ("b", "not in catalog") in pre.dropped_columns_
    assert "log1p" not in set(pre.log_["detail"])
    assert pre.feature_names_out_[:2] == ["a", "visits"]


def test_outliers_flag_top_share_and_cap():
    df = _frame(1000)
    df.loc[7, "a"] = 500.0
    pre = Preprocessor(outlier_quantile=0.99).fit(df)
    assert pre.is_outlier_[7]
    assert 5 <= pre.is_outlier_.sum() <= 11
    capped = Preprocessor(outlier_policy="cap").fit(df).transform(df)
    assert capped["a"].max() < 10


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        (lambda d: d.head(5), "too few rows"),
        (lambda d: d.assign(a=1.0, b=2.0, visits=0, plan="x"), "all 4 feature"),
        (lambda d: d.assign(b=np.where(np.arange(len(d)) == 4, np.inf, d["b"])), "'b'.*infinite"),
        (lambda d: d.assign(a=np.nan), "'a' is entirely missing"),
        (lambda d: d.assign(user_id=0), "not unique"),
        (lambda d: d.drop(columns="user_id"), "key column 'user_id' not found"),
    ],
)
def test_bad_input_raises_naming_the_problem(mutate, match):
    with pytest.raises(ValueError, match=match):
        Preprocessor().fit(mutate(_frame()))


def test_text_in_a_numeric_catalog_feature_raises():
    cat = pd.DataFrame({"name": ["a", "b"], "kind": ["numeric", "numeric"]})
    with pytest.raises(ValueError, match="'a' is declared numeric"):
        Preprocessor(catalog=cat).fit(_frame().assign(a="x"))


def test_bad_catalog_and_params_raise():
    df = _frame()
    with pytest.raises(ValueError, match="not found in the feature table: \\['zzz'\\]"):
        Preprocessor(catalog=pd.DataFrame({"name": ["zzz"], "kind": ["numeric"]})).fit(df)
    with pytest.raises(ValueError, match="kind 'weird'"):
        Preprocessor(catalog=pd.DataFrame({"name": ["a"], "kind": ["weird"]})).fit(df)
    with pytest.raises(ValueError, match="'outlier_policy'.*allowed values"):
        Preprocessor(outlier_policy="drop").fit(df)
    with pytest.raises(ValueError, match="negative values"):
        Preprocessor(
            catalog=pd.DataFrame({"name": ["a"], "kind": ["count"], "transform": ["log1p"]})
        ).fit(df)


def test_transform_rejects_inf_in_new_rows():
    df = _frame()
    pre = Preprocessor().fit(df)
    new = df.copy()
    new.loc[0, "a"] = -np.inf
    with pytest.raises(ValueError, match="'a'"):
        pre.transform(new)


def test_outlier_score_keeps_a_large_minority_and_flags_a_small_odd_group():
    # 15% of users far out on one zero-inflated count (a persona, not outliers) and 1% of
    # users moderately off on two columns at once (bots): the Mahalanobis score flags the bots
    rng = np.random.default_rng(0)
    n = 4000
    df = pd.DataFrame(
        {
            "user_id": np.arange(n),
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "videos": np.where(rng.uniform(size=n) < 0.15, rng.integers(30, 60, size=n), 0),
        }
    )
    bots = np.zeros(n, dtype=bool)
    bots[rng.choice(np.flatnonzero(df["videos"] == 0), size=40, replace=False)] = True
    df.loc[bots, "a"] += 5.0
    df.loc[bots, "b"] -= 5.0
    cat = pd.DataFrame(
        {"name": ["a", "b", "videos"], "kind": ["numeric", "numeric", "count"], "transform": ""}
    )
    pre = Preprocessor(catalog=cat, outlier_quantile=0.99).fit(df)
    assert pre.is_outlier_[bots].mean() >= 0.9
    assert not pre.is_outlier_[df["videos"].to_numpy() > 0].any()
    assert np.allclose(pre.outlier_score(df), pre.outlier_score_)


def _counts_frame(n=600):
    rng = np.random.default_rng(3)
    return pd.DataFrame({
        "user_id": np.arange(n),
        "n_events": rng.integers(0, 3, n),
        "n_videos": rng.integers(0, 3, n),
        "n_nothing": np.zeros(n, dtype=int),
    })


COUNT_CATALOG = pd.DataFrame({
    "name": ["n_events", "n_videos", "n_nothing"],
    "kind": ["count"] * 3,
    "transform": ["log1p"] * 3,
})


def test_counts_are_dequantized_so_small_counts_are_no_lumps():
    X = _counts_frame()
    Z = Preprocessor(catalog=COUNT_CATALOG).fit(X).transform(X)
    # 0, 1 and 2 events were 3 exact values; spread over [n, n + 1) they are all distinct
    assert Z["n_events"].nunique() == len(X)
    # order is kept: every user with more events is placed higher
    by_count = Z["n_events"].groupby(X["n_events"].to_numpy()).agg(["min", "max"])
    assert (by_count["max"].to_numpy()[:-1] < by_count["min"].to_numpy()[1:]).all()
    # a count that is always 0 is still constant, not noise
    assert "n_nothing" not in Z.columns


def test_dequantization_noise_is_fixed_per_user():
    X = _counts_frame()
    pre = Preprocessor(catalog=COUNT_CATALOG).fit(X)
    shuffled = X.sample(frac=1.0, random_state=1)
    again = pre.transform(shuffled).loc[X["user_id"]]
    np.testing.assert_array_equal(again.to_numpy(), pre.transform(X).to_numpy())
    plain = Preprocessor(catalog=COUNT_CATALOG, dequantize_counts=False).fit(X).transform(X)
    assert plain["n_events"].nunique() == 3
