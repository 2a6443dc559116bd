"""A bad engine parameter is named by the var that sets it, segscope_segmentation, not by the
table the fit would read, and before any row is read."""

from __future__ import annotations

import pandas as pd
import pytest

from segscope.warehouse import fit_relation, fit_segmentation

SOURCE = "user_features (var segscope_segmentation_features)"


@pytest.mark.parametrize(("params", "rule"), [
    ({"depth": 2}, "unknown parameter(s) ['depth']"),
    ({"min_child_size": 1}, "min_child_size"),
    ({"reducer": "tsne"}, "reducer"),
])
def test_a_bad_parameter_names_segscope_segmentation(params, rule):
    features = pd.DataFrame({"user_id": range(40), "n_events": range(40)})
    with pytest.raises(ValueError) as caught:
        fit_segmentation(features, None, params, SOURCE)
    message = str(caught.value)
    assert message.startswith("var segscope_segmentation: "), message
    assert rule in message
    assert "segscope_segmentation_features" not in message


class Unread:
    """A relation that fails the test if the fit reads it."""

    def df(self):
        raise AssertionError("the rows were read before the parameters were checked")


def test_parameters_are_checked_before_the_rows_are_read():
    with pytest.raises(ValueError, match="^var segscope_segmentation: unknown parameter"):
        fit_relation(Unread(), Unread(), {"depth": 2}, SOURCE)
