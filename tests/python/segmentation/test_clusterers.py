import json

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score

from segscope.segmentation import clusterers
from segscope.segmentation.clusterers import (
    CANDIDATE_COLUMNS,
    AutoClusterer,
    DBSCANClusterer,
    HDBSCANClusterer,
    KMeansClusterer,
)


@pytest.fixture(scope="module")
def blobs():
    X, y = make_blobs(n_samples=900, centers=4, cluster_std=0.6, n_features=3, random_state=3)
    return X, y


def test_kmeans_sweep_chooses_planted_k(blobs):
    X, y = blobs
    km = KMeansClusterer(k_min=2, k_max=8, random_state=0).fit(X)
    c = km.candidates_
    assert list(c.columns) == CANDIDATE_COLUMNS
    assert list(c["params"].map(lambda p: json.loads(p)["k"])) == list(range(2, 9))
    assert c["is_chosen"].sum() == 1 and c["is_elbow"].sum() == 1
    assert km.n_clusters_ == 4
    assert adjusted_rand_score(y, km.labels_) >= 0.95
    assert ((km.confidence_ >= 0) & (km.confidence_ <= 1)).all()
    assert c.loc[c["is_chosen"], "stability"].iloc[0] >= 0.9


def test_kmeans_tie_goes_to_smaller_k(blobs):
    X, _ = blobs
    km = KMeansClusterer(k_max=6, selection_tolerance=1.0, random_state=0).fit(X)
    assert km.n_clusters_ == 2


def test_min_cluster_size_invalidates_small_clusters(blobs):
    X, _ = blobs
    km = KMeansClusterer(k_max=8, min_cluster_size=200, random_state=0).fit(X)
    assert not km.candidates_.loc[km.candidates_["n_clusters"] > 4, "is_valid"].any()


def test_hdbscan_and_dbscan_find_blobs(blobs):
    X, y = blobs
    for est in (HDBSCANClusterer(random_state=0), DBSCANClusterer(random_state=0)):
        est.fit(X)
        member = est.labels_ >= 0
        assert est.n_clusters_ == 4, type(est).__name__
        assert adjusted_rand_score(y[member], est.labels_[member]) >= 0.95
        assert (est.confidence_[~member] == 0).all()


def test_auto_compares_all_algorithms_on_same_diagnostics(blobs):
    X, y = blobs
    auto = AutoClusterer(k_max=6, random_state=0).fit(X)
    assert set(auto.candidates_["algorithm"]) == {"kmeans", "hdbscan", "dbscan"}
    assert auto.candidates_["is_chosen"].sum() == 1
    assert adjusted_rand_score(y, auto.labels_) >= 0.9
    chosen = auto.candidates_[auto.candidates_["is_chosen"]].iloc[0]
    assert chosen["algorithm"] == auto.algorithm_


def test_same_seed_same_labels(blobs):
    X, _ = blobs
    a = AutoClusterer(k_max=5, random_state=4).fit(X)
    b = AutoClusterer(k_max=5, random_state=4).fit(X)
    assert np.array_equal(a.labels_, b.labels_)
    assert a.candidates_.equals(b.candidates_)


@pytest.mark.parametrize(
    ("est", "name"),
    [
        (KMeansClusterer(k_min=1), "k_min"),
        (KMeansClusterer(k_min=5, k_max=3), "k_max"),
        (HDBSCANClusterer(min_cluster_share=0), "min_cluster_share"),
        (DBSCANClusterer(eps_factors=()), "eps_factors"),
        (AutoClusterer(algorithms=("kmeans", "spectral")), "algorithms"),
        (KMeansClusterer(random_state=-1), "random_state"),
    ],
)
def test_bad_params_raise_at_fit(est, name, blobs):
    with pytest.raises(ValueError, match=name):
        est.fit(blobs[0])


def test_no_valid_candidate_gives_one_cluster():
    X = np.random.default_rng(0).normal(size=(60, 2))
    km = KMeansClusterer(k_max=3, min_cluster_size=40).fit(X)
    assert km.n_clusters_ == 1 and km.algorithm_ is None and not km.candidates_["is_chosen"].any()


def test_dbscan_above_its_row_cap_fits_a_sample_and_extends_it(blobs, monkeypatch):
    """The sampled DBSCAN (bounded memory) finds the same blobs as the full one."""
    X, y = blobs
    full = DBSCANClusterer(random_state=0).fit(X)
    monkeypatch.setattr(clusterers, "DBSCAN_MAX_ROWS", 300)
    sampled = DBSCANClusterer(random_state=0).fit(X)
    assert adjusted_rand_score(y, sampled.labels_) >= 0.95
    assert adjusted_rand_score(full.labels_, sampled.labels_) >= 0.95
    assert len(sampled.labels_) == len(X)
