"""The report's SVG charts: what comes from data is escaped, colours are only colours, and
degenerate data (one point, no rows, constant values) still draws."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from segscope.report import svg


@pytest.mark.parametrize("color", ["#4e79a7", "#abc", "#4e79a7cc", "steelblue"])
def test_colours_pass(color):
    assert svg.safe_color(color) == color


@pytest.mark.parametrize("color", [
    'red" onmouseover="alert(1)', "red;background:url(http://x)", "url(#x)", "", None,
    "#12345", "expression(alert(1))",
])
def test_anything_else_becomes_the_default(color):
    assert svg.safe_color(color, default="#999") == "#999"


def parse(chart: str) -> ET.Element:
    """Well-formed XML, or this raises: markup from data would break it."""
    return ET.fromstring(chart)


def test_labels_with_markup_stay_text():
    hostile = '<script>alert("x")</script> & <b>'
    chart = svg.hbars([(hostile, 1.0, "↑ higher")], color="#4e79a7", chart="shap", label=hostile)
    root = parse(chart)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.find(f".//{ns}script") is None
    assert any(element.text and hostile in element.text for element in root.iter(f"{ns}text"))


def test_degenerate_data_still_draws():
    charts = [
        svg.line_chart([{"name": "one", "points": [(2, 0.5)]}], x_label="k", y_label="s",
                       chart="c", label="l"),
        svg.line_chart([], x_label="k", y_label="s", chart="c", label="l"),
        svg.bars_with_total([1.0], [True], chart="c", label="l"),
        svg.scatter([(0.0, 0.0, "#000", "a"), (0.0, 0.0, "#000", "b")], chart="c", label="l"),
        svg.box_plots([{"feature": "f", "segment": (1, 1, 1, 1, 1),
                        "population": (1, 1, 1, 1, 1)}], color="#000", chart="c", label="l"),
        svg.heatmap(["1"], {("1", "1"): 0}, chart="c", label="l"),
        svg.icicle([{"id": "1", "parent": None, "depth": 1, "share": 1.0, "color": "#000",
                     "name": "all", "n_users": 3}], chart="c", label="l"),
    ]
    for chart in charts:
        assert "nan" not in chart.lower()
        parse(chart)
