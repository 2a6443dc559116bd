import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

from segscope.segmentation.preprocess import Preprocessor
from segscope.segmentation.reducers import NoReducer, PCAReducer, UMAPReducer


def test_pca_keeps_components_for_variance_threshold():
    rng = np.random.default_rng(0)
    latent = rng.normal(size=(500, 2)) * [5, 3]
    X = latent @ rng.normal(size=(2, 6)) + rng.normal(scale=0.05, size=(500, 6))
    red = PCAReducer(variance_threshold=0.99).fit(X)
    assert red.n_components_ == 2
    ev = red.explained_variance_
    assert list(ev.columns) == ["component", "explained_variance_ratio", "cumulative", "is_kept"]
    assert ev["cumulative"].is_monotonic_increasing and ev["is_kept"].sum() == 2
    assert red.transform(X).shape == (500, 2)
    assert red.embedding_2d_.shape == (500, 2)
    assert PCAReducer(max_components=1).fit(X).n_components_ == 1


def test_no_reducer_is_identity():
    X = np.random.default_rng(0).normal(size=(50, 3))
    red = NoReducer().fit(X)
    assert np.allclose(red.transform(X), X)
    assert red.transform_2d(X).shape == (50, 2)


@pytest.mark.parametrize(
    "bad", [{"variance_threshold": 0}, {"variance_threshold": 1.5}, {"max_components": 0}]
)
def test_pca_bad_params_raise_at_fit(bad):
    red = PCAReducer(**bad)  # stored untouched
    with pytest.raises(ValueError, match=list(bad)[0]):
        red.fit(np.random.default_rng(0).normal(size=(20, 3)))


def test_umap_separates_planted_groups_and_is_deterministic(planted):
    df, cat, truth = planted
    rows = np.arange(0, len(df), 4)  # 750 users keep the test fast
    Z = Preprocessor(catalog=cat).fit(df).transform(df).to_numpy()[rows]
    red = UMAPReducer(n_components=3, n_epochs=60, random_state=1).fit(Z)
    assert red.embedding_.shape == (len(rows), 3) and red.embedding_2d_.shape == (len(rows), 2)
    labels = KMeans(5, n_init=10, random_state=0).fit_predict(red.embedding_)
    clean = ~truth["is_outlier"].to_numpy()[rows]
    assert adjusted_rand_score(truth["top"].to_numpy()[rows][clean], labels[clean]) >= 0.95
    again = UMAPReducer(n_components=3, n_epochs=60, random_state=1).fit(Z)
    assert np.allclose(again.embedding_, red.embedding_)
    assert red.transform(Z[:20]).shape == (20, 3)
