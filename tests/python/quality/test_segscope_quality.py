"""The quality benchmark's small members (make bench-quality runs the full suite): segscope's
defaults on one fixed draw each, held to the suite's targets. Where the engine does not meet a
target yet, the test is a strict xfail with the measured figure: it fails the day the engine
meets the target, and the mark is then removed."""

import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score as ari

from segscope.quality.datasets import load
from segscope.quality.runner import run_segscope

SEED = 0


def fit(name, size=None, params=None):
    data = load(name, SEED, size)
    top, leaf = run_segscope(data, SEED, params)
    return data, top, leaf


def not_yet(reason):
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


@pytest.mark.parametrize("name", ["uniform", "gaussian", "correlated_gaussian", "rfm_continuum"])
def test_a_null_control_is_one_segment(name):
    _, top, leaf = fit(name, 800)
    assert pd.unique(leaf).size == 1, f"{name}: {pd.unique(leaf).size} segments"


@not_yet("a single zero-inflated count population with correlated event types: 2 segments "
         "(n=1000, seed 0)")
def test_one_count_population_without_personas_is_one_segment():
    _, _, leaf = fit("event_counts", 1000)
    assert pd.unique(leaf).size == 1, f"{pd.unique(leaf).size} segments"


def test_the_copula_null_keeps_one_count_population_whole():
    _, _, leaf = fit("event_counts", 1000, {"null_reference": "copula"})
    assert pd.unique(leaf).size == 1, f"{pd.unique(leaf).size} segments"


def test_blobs_of_unequal_density_are_recovered():
    data, _, leaf = fit("unequal_density_blobs", 800)
    assert ari(data.leaf, leaf) >= 0.98  # measured 1.000 (n=800, seed 0)


@not_yet("sheared blobs: leaf ARI 0.397, GaussianMixture by BIC 1.000 (n=600, seed 0)")
def test_sheared_blobs_match_the_best_baseline():
    data, _, leaf = fit("anisotropic_blobs", 600)
    assert ari(data.leaf, leaf) >= 1.000 - 0.02


@not_yet("event personas: top ARI 0.254, leaf ARI 0.587 (n=1200, seed 0)")
def test_event_personas_are_recovered():
    data, top, leaf = fit("event_personas", 1200)
    assert ari(data.top, top) >= 0.95
    assert ari(data.leaf, leaf) >= 0.90


@not_yet("digits: 1 segment, ARI 0.000 (90% of the rows, seed 0)")
def test_digits_reach_085():
    data, _, leaf = fit("digits")
    assert ari(data.leaf, leaf) >= 0.85


@not_yet("wine: 1 segment, ARI 0.000; KMeans with k by silhouette 0.886 (seed 0)")
def test_wine_matches_the_best_baseline():
    data, _, leaf = fit("wine")
    assert ari(data.leaf, leaf) >= 0.886 - 0.02
