import numpy as np
import pandas as pd
import pytest

from segscope.quality.datasets import LOADERS, NULL, NULLS, STRUCTURED, default_size, load


@pytest.mark.parametrize("name", [n for n in LOADERS if default_size(n) is not None])
def test_a_synthetic_set_is_numeric_seeded_and_sized(name):
    data = load(name, seed=3, size=300)
    again = load(name, seed=3, size=300)
    other = load(name, seed=4, size=300)
    assert data.X.shape[0] == len(data.top) == len(data.leaf) == 300
    assert all(pd.api.types.is_numeric_dtype(t) for t in data.X.dtypes)
    pd.testing.assert_frame_equal(data.X, again.X)
    assert not data.X.equals(other.X)
    assert data.kind == (NULL if name in NULLS else STRUCTURED)
    if data.kind == NULL:
        assert pd.unique(data.top).size == 1


def test_a_real_table_is_redrawn_as_90_percent_of_its_rows():
    first, second = load("iris", 0), load("iris", 1)
    assert len(first.X) == len(second.X) == 135
    assert not first.X.equals(second.X)
    penguins = load("penguins", 0)
    assert penguins.X.notna().all().all() and set(penguins.top) == {"Adelie", "Chinstrap",
                                                                      "Gentoo"}


def test_event_personas_range_from_one_to_45_percent_with_a_few_bots():
    data = load("event_personas", 0, 20000)
    shares = pd.Series(data.top).value_counts(normalize=True)
    assert len(shares) - 1 >= 6 and "bot" in shares
    assert 0.43 < shares.max() < 0.47 and 0.007 < shares.drop("bot").min() < 0.013
    assert shares["bot"] < 0.01
    assert (data.X.to_numpy() == 0).mean() > 0.4  # zero-inflated
    per_user = data.X.sum(axis=1)
    assert per_user.max() > 50 * per_user.median()  # heavy-tailed


def test_nested_personas_have_two_or_three_leaves_per_top_persona():
    data = load("event_personas_nested", 0)
    assert data.nested
    frame = pd.DataFrame({"top": data.top, "leaf": data.leaf})
    leaves = frame[frame.top != "bot"].groupby("top")["leaf"].nunique()
    assert len(leaves) == 3 and leaves.between(2, 3).all()
    assert (frame.groupby("leaf")["top"].nunique() == 1).all()


def test_manifold_arcs_live_in_20_plus_dimensions_on_a_low_dimensional_curve():
    data = load("manifold_arcs", 0)
    assert data.X.shape[1] >= 20
    singular = np.linalg.svd(data.X - data.X.mean(), compute_uv=False)
    assert (singular[:3] ** 2).sum() / (singular ** 2).sum() > 0.9


def test_an_unknown_set_is_named_with_the_known_ones():
    with pytest.raises(ValueError, match="unknown data set 'nope'.*digits"):
        load("nope", 0)
