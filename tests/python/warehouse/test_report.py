"""The HTML report of a demo build, opened in headless Chromium: every section and chart is
there, nothing is fetched, nothing errs in the console, and text from the naming seed is shown
as text, never run as markup."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from segscope.cli import main as segscope
from segscope.report import write_report
from segscope.report.data import MAX_EMBEDDING_POINTS
from segscope.report.page import SECTIONS

pytestmark = pytest.mark.xdist_group("segmented")

PROJECT_ROOT = Path(__file__).resolve().parents[3]
SCREENSHOT = PROJECT_ROOT / "target" / "test" / "report.png"


@pytest.fixture(scope="module")
def report(segmented, tmp_path_factory) -> Path:
    return write_report(segmented.db, tmp_path_factory.mktemp("report") / "report.html")


class Opened:
    """A page in Chromium, with everything it logged, requested or tried to pop up."""

    def __init__(self, browser, path: Path):
        self.page = browser.new_page(viewport={"width": 1300, "height": 900})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.url = path.resolve().as_uri()
        self.page.goto(self.url, wait_until="load")

    def count(self, selector: str) -> int:
        return self.page.locator(selector).count()


@pytest.fixture
def opened(browser, report):
    page = Opened(browser, report)
    yield page
    page.page.close()


def test_the_report_is_one_file_that_fetches_nothing(report):
    html = report.read_text()
    assert "<script" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "url(" not in html
    assert "default-src 'none'" in html  # the browser refuses anything from elsewhere


def test_every_section_and_chart_renders_without_console_errors(opened, segmented):
    segments = segmented.query("select segment_id, is_leaf from segments")
    nodes = segmented.query("select count(distinct node_segment_id) from segment_model_selection")
    pca_nodes = segmented.query(
        "select count(distinct node_segment_id) from segment_explained_variance")
    splits = segmented.query(
        "select count(distinct coalesce(parent_segment_id, 'root')) from segment_confusion")
    embedded = segmented.query("select count(*) from segment_embedding")[0][0]

    for anchor, title in SECTIONS:
        section = opened.page.locator(f"section#{anchor}")
        assert section.is_visible(), anchor
        assert section.locator("h2").inner_text() == title
    assert "Gates (before any model learns)" in opened.page.locator("#data-quality").inner_text()
    assert opened.count("#data-quality table.counts tr") == 7  # header + six stages

    assert opened.count("svg[data-chart=explained-variance]") == pca_nodes[0][0] > 0
    assert opened.count("svg[data-chart=elbow]") == opened.count("svg[data-chart=silhouette]") \
        == nodes[0][0]
    assert opened.count("svg[data-chart=embedding] circle") == min(embedded, MAX_EMBEDDING_POINTS)
    assert opened.count("svg[data-chart=tree] rect.node") == len(segments)
    assert opened.count("article.card") == len(segments)
    assert opened.count("article.card svg[data-chart=shap]") == len(segments)
    assert opened.count("article.card svg[data-chart=boxplot] g.box") >= 2 * len(segments)
    assert opened.count("article.card .badge.stability") == len(segments)
    assert opened.count("svg[data-chart=confusion]") == splits[0][0] > 0
    for segment_id, _ in segments:
        card = opened.page.locator(f'article.card[data-segment="{segment_id}"]')
        assert card.locator("svg[data-chart=shap] rect.bar").count() > 0, segment_id
    # every chart outside a folded <details> is laid out with a size
    for chart in opened.page.locator("section > svg.chart, section .grid svg.chart").all():
        if chart.is_visible():
            box = chart.bounding_box()
            assert box["width"] > 50 and box["height"] > 20

    assert opened.errors == []
    assert set(opened.requests) == {opened.url}
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    opened.page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_text_from_the_naming_seed_is_shown_not_run(segmented_copy, browser, tmp_path):
    leaf = segmented_copy.query("select segment_id from segments where is_leaf limit 1")[0][0]
    name = '<script>alert("name")</script> & "Night" owls'
    description = "<img src=x onerror=alert(1)><b>bold?</b>"
    labels = segmented_copy.root / "seeds" / "segment_labels.csv"
    color = 'red" onmouseover="alert(2)'
    row = [leaf, name, color, description]
    labels.write_text(labels.read_text() + ",".join(
        '"' + value.replace('"', '""') + '"' for value in row) + "\n")
    result = segmented_copy.build("--select", "segment_labels+")
    assert result.returncode == 0, result.output

    page = Opened(browser, write_report(segmented_copy.db, tmp_path / "report.html"))
    card = page.page.locator(f'article.card[data-segment="{leaf}"]')
    assert name in card.locator("h3").inner_text()
    assert description in card.inner_text()
    card.locator("h3").hover()
    assert page.count("script") == 0 and page.count("img") == 0
    assert card.locator("b").count() == 0
    assert page.dialogs == [] and page.errors == []
    # the colour was not a colour: the card falls back to grey rather than carry the attribute
    assert "onmouseover" not in (card.get_attribute("style") or "")
    page.page.close()


def test_the_report_command_names_what_a_warehouse_lacks(tmp_path, capsys):
    db = tmp_path / "half_built.duckdb"
    with duckdb.connect(str(db)) as con:
        con.execute("create table user_features (user_id bigint)")
    assert segscope(["report", "--db", str(db)]) == 1
    error = capsys.readouterr().err
    assert "the warehouse has no segments" in error and "run the whole `dbt build`" in error
    assert not (tmp_path / "half_built_report.html").exists()

    assert segscope(["report", "--db", str(tmp_path / "missing.duckdb")]) == 1
    assert "no warehouse at" in capsys.readouterr().err
