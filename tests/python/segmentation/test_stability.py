import numpy as np
import pytest

from segscope.segmentation import segment_users
from segscope.segmentation.stability import SegmentStability

from .conftest import make_blob

# a split forced onto data without structure: every gate that would refuse it is off
FORCED_SPLIT = {
    "algorithm": "kmeans",
    "k_min": 4,
    "k_max": 4,
    "max_depth": 1,
    "split_min_silhouette": -1.0,
    "split_null_margin": -1.0,
    "split_min_stability": -1.0,
    "null_reference": "none",
}


def _checked(features, catalog, params, cohorts=None, **options):
    result = segment_users(features, catalog, params)
    leaves = result.assignments["segment_id"].to_numpy()
    return SegmentStability(tree=result.tree, **options).fit(features, leaves, cohorts)


@pytest.fixture(scope="module")
def planted_checks(planted):
    df, cat, _ = planted
    cohorts = np.where(np.arange(len(df)) % 3 == 0, "early", "late")
    return _checked(df, cat, {"k_max": 8}, cohorts)


def test_planted_segments_are_stable(planted_checks):
    table = planted_checks.stability_
    assert len(table) >= 7  # 5 groups, 2 of them with 2 sub-groups
    assert (table.stability_status == "stable").all()
    assert table.bootstrap_jaccard.min() >= 0.75
    assert table.seed_ari.min() >= 0.9


def test_planted_segments_reappear_in_every_cohort(planted_checks):
    cohorts = planted_checks.cohorts_
    assert set(cohorts.cohort) == {"early", "late"}
    assert cohorts.jaccard.min() >= 0.75
    assert (cohorts.share_in_cohort - cohorts.share_overall).abs().max() < 0.1
    assert (planted_checks.stability_.n_cohorts == 2).all()


@pytest.mark.parametrize(("kind", "worst_status"), [("gaussian", "doubtful"),
                                                    ("uniform", "dissolving")])
def test_segments_forced_onto_structureless_data_are_not_stable(kind, worst_status):
    checks = _checked(make_blob(n=3000, p=6, seed=1, kind=kind), None, FORCED_SPLIT)
    table = checks.stability_
    assert len(table) == 4
    assert table.bootstrap_jaccard.max() < 0.75
    assert (table.stability_status != "stable").all()
    assert worst_status in set(table.stability_status)


def test_uniform_noise_splits_differently_with_every_seed():
    checks = _checked(make_blob(n=3000, p=6, seed=1, kind="uniform"), None, FORCED_SPLIT)
    assert checks.stability_.seed_ari.max() < 0.5


def test_same_seed_same_scores(planted):
    df, cat, _ = planted
    first = _checked(df, cat, {"k_max": 8}, n_bootstrap=3, n_seeds=1)
    second = _checked(df, cat, {"k_max": 8}, n_bootstrap=3, n_seeds=1)
    assert first.stability_.equals(second.stability_)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_bootstrap": 0}, "'n_bootstrap'"),
        ({"stable_jaccard": 0.5, "dissolving_jaccard": 0.6}, "'dissolving_jaccard'"),
        ({"tree": None}, "'tree'"),
    ],
)
def test_bad_parameters_fail_naming_them(planted, planted_checks, options, message):
    df, _, _ = planted
    with pytest.raises(ValueError, match=message):
        SegmentStability(**{"tree": planted_checks.tree, **options}).fit(df, np.full(len(df), "1"))
