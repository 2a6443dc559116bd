"""Inline SVG charts: no script, no font or library to fetch, so the report works offline.

Every text that reaches a chart goes through `esc` (labels come from data and from the naming
seed), and colours through `safe_color`."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from html import escape

NEUTRAL = "#9aa0a6"
POPULATION = "#bfc4ca"
INK = "#333"
_COLOR = re.compile(r"#([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[a-zA-Z]{3,20}")


def esc(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def safe_color(value, default: str = NEUTRAL) -> str:
    """A colour from the naming seed, if it is a hex colour or a colour name; else `default`
    (a colour goes into an attribute: anything else could smuggle markup or a URL in)."""
    text = "" if value is None else str(value).strip()
    return text if _COLOR.fullmatch(text) else default


def fmt(value, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        magnitude = abs(value)
        if magnitude >= 1000:
            return f"{value:,.0f}"
        return f"{value:.{digits}g}"
    return f"{value:,}" if isinstance(value, int) else str(value)


class Scale:
    """Linear map from a data interval onto a pixel interval."""

    def __init__(self, lo: float, hi: float, start: float, end: float):
        if not math.isfinite(lo) or not math.isfinite(hi):
            lo, hi = 0.0, 1.0
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        self.lo, self.hi, self.start, self.end = lo, hi, start, end

    def __call__(self, value: float) -> float:
        return self.start + (value - self.lo) / (self.hi - self.lo) * (self.end - self.start)


def _finite(values) -> list[float]:
    return [float(v) for v in values if v is not None and math.isfinite(float(v))]


def svg(width: int, height: int, body: list[str], chart: str, label: str,
        fluid: bool = False) -> str:
    # fluid: as wide as the page, the height following the aspect ratio
    size = 'width="100%"' if fluid else f'width="{width}" height="{height}"'
    return (f'<svg class="chart" data-chart="{esc(chart)}" role="img" aria-label="{esc(label)}" '
            f'viewBox="0 0 {width} {height}" {size} '
            f'xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>')


def text(x: float, y: float, content, *, anchor: str = "start", size: int = 11,
         color: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
            f'fill="{color}" font-weight="{weight}">{esc(content)}</text>')


def _axes(x: Scale, y: Scale, x_label: str, y_label: str, ticks: Sequence[float]) -> list[str]:
    body = [f'<line x1="{x.start}" y1="{y.start}" x2="{x.end}" y2="{y.start}" stroke="{INK}"/>',
            f'<line x1="{x.start}" y1="{y.start}" x2="{x.start}" y2="{y.end}" stroke="{INK}"/>']
    for tick in ticks:
        body.append(text(x(tick), y.start + 14, fmt(tick), anchor="middle", size=10))
    for value in (y.lo, (y.lo + y.hi) / 2, y.hi):
        body.append(text(x.start - 4, y(value) + 3, fmt(value), anchor="end", size=10))
    body.append(text((x.start + x.end) / 2, y.start + 28, x_label, anchor="middle"))
    body.append(text(x.start, y.end - 6, y_label, size=10))
    return body


def line_chart(series: list[dict], *, x_label: str, y_label: str, chart: str, label: str,
               reference: tuple[float, str] | None = None, width: int = 360,
               height: int = 220) -> str:
    """Lines with markers. A series: {"name", "points": [(x, y)], "color", "marked": {x: note},
    "line": bool}. `reference` draws a dashed horizontal line (value, note)."""
    xs = _finite(px for s in series for px, _ in s["points"])
    ys = _finite(py for s in series for _, py in s["points"])
    if reference is not None and math.isfinite(reference[0]):
        ys.append(reference[0])
    if not xs or not ys:
        return empty_chart(chart, label, "nothing to plot")
    x = Scale(min(xs), max(xs), 52, width - 14)
    y = Scale(min(ys), max(ys), height - 40, 40)
    ticks = sorted(set(xs)) if len(set(xs)) <= 12 else [min(xs), max(xs)]
    body = _axes(x, y, x_label, y_label, ticks)
    if reference is not None and math.isfinite(reference[0]):
        ry = y(reference[0])
        body.append(f'<line x1="{x.start}" y1="{ry:.1f}" x2="{x.end}" y2="{ry:.1f}" '
                    f'stroke="{NEUTRAL}" stroke-dasharray="4 3"/>')
        body.append(text(x.end, ry - 4, reference[1], anchor="end", size=10, color="#666"))
    for s in series:
        points = [(px, py) for px, py in s["points"]
                  if py is not None and math.isfinite(float(py))]
        color = safe_color(s.get("color"))
        if s.get("line", True) and len(points) > 1:
            path = " ".join(f"{x(px):.1f},{y(py):.1f}" for px, py in points)
            body.append(f'<polyline points="{path}" fill="none" stroke="{color}" '
                        'stroke-width="1.5"/>')
        for px, py in points:
            note = s.get("marked", {}).get(px)
            radius, stroke = (5, f' stroke="{INK}" stroke-width="2"') if note else (3, "")
            body.append(f'<circle class="point" cx="{x(px):.1f}" cy="{y(py):.1f}" r="{radius}" '
                        f'fill="{color}"{stroke}><title>{esc(s["name"])}: {fmt(px)} → '
                        f'{fmt(py)}{esc(" — " + note) if note else ""}</title></circle>')
    legend_x = 4.0
    for s in series:
        body.append(f'<rect x="{legend_x}" y="3" width="9" height="9" '
                    f'fill="{safe_color(s.get("color"))}"/>')
        body.append(text(legend_x + 12, 11, s["name"], size=10))
        legend_x += 18 + 5.5 * len(str(s["name"]))
    return svg(width, height, body, chart, label)


def bars_with_total(values: list[float], kept: list[bool], *, chart: str, label: str,
                    width: int = 360, height: int = 200) -> str:
    """Explained variance: one bar per component (darker when kept), the running total."""
    if not values:
        return empty_chart(chart, label, "no components")
    n = len(values)
    x = Scale(0.5, n + 0.5, 44, width - 10)
    y = Scale(0, 1, height - 36, 14)
    body = _axes(x, y, "component", "share of variance", range(1, n + 1) if n <= 15 else [1, n])
    bar = max(2.0, (x.end - x.start) / n * 0.7)
    total, points = 0.0, []
    for i, (value, is_kept) in enumerate(zip(values, kept, strict=True), start=1):
        total += value
        points.append(f"{x(i):.1f},{y(min(total, 1.0)):.1f}")
        fill = "#4e79a7" if is_kept else POPULATION
        body.append(f'<rect class="bar" x="{x(i) - bar / 2:.1f}" y="{y(value):.1f}" '
                    f'width="{bar:.1f}" height="{y.start - y(value):.1f}" fill="{fill}">'
                    f'<title>component {i}: {value:.1%} (total {total:.1%})'
                    f'{" — kept" if is_kept else ""}</title></rect>')
    body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#e15759" '
                'stroke-width="1.5"/>')
    body.append(text(x.end, y(1.0) + 12, "cumulative", anchor="end", size=10, color="#e15759"))
    return svg(width, height, body, chart, label)


def scatter(points: list[tuple[float, float, str, str]], *, chart: str, label: str,
            width: int = 640, height: int = 440) -> str:
    """(x, y, colour, tooltip) points."""
    if not points:
        return empty_chart(chart, label, "no points")
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x = Scale(min(xs), max(xs), 10, width - 10)
    y = Scale(min(ys), max(ys), height - 10, 10)
    body = [f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fafafa"/>']
    for px, py, color, note in points:
        body.append(f'<circle cx="{x(px):.1f}" cy="{y(py):.1f}" r="2" '
                    f'fill="{safe_color(color)}" fill-opacity="0.65"><title>{esc(note)}'
                    '</title></circle>')
    return svg(width, height, body, chart, label)


def icicle(nodes: list[dict], *, chart: str, label: str, width: int = 1200,
           row: int = 46) -> str:
    """The segment tree as an icicle: one row per depth, widths proportional to users.
    A node: {"id", "parent", "depth", "share", "color", "name", "n_users"}, parents first."""
    if not nodes:
        return empty_chart(chart, label, "no segments")
    depth = max(n["depth"] for n in nodes)
    height = row * depth + 4
    offsets: dict[str | None, float] = {None: 0.0}
    body = []
    for node in nodes:
        start = offsets.get(node["parent"], 0.0)
        offsets[node["parent"]] = start + node["share"]
        offsets[node["id"]] = start
        x0, w = start * width, max(node["share"] * width, 0.5)
        y0 = (node["depth"] - 1) * row
        title = f'{node["name"]}: {node["n_users"]:,} users ({node["share"]:.1%})'
        opacity = 1 - 0.22 * (node["depth"] - 1)
        body.append(f'<a href="#segment-{esc(node["id"])}"><rect class="node" '
                    f'x="{x0:.1f}" y="{y0 + 2}" width="{w - 1:.1f}" height="{row - 4}" '
                    f'fill="{safe_color(node["color"])}" fill-opacity="{opacity:.2f}" '
                    f'stroke="#fff"><title>{esc(title)}</title></rect>')
        if w > 60:
            caption = node["name"] if w > 7 * len(str(node["name"])) else node["id"]
            body.append(text(x0 + 5, y0 + 18, caption, size=11, color="#fff", weight="bold"))
            body.append(text(x0 + 5, y0 + 33, f'{node["n_users"]:,} · {node["share"]:.1%}',
                             size=10, color="#fff"))
        body.append("</a>")
    return svg(width, height, body, chart, label, fluid=True)


def hbars(rows: list[tuple[str, float, str]], *, color: str, chart: str, label: str,
          width: int = 420, value_format=lambda v: f"{v:.3f}") -> str:
    """Horizontal bars: (label, value, note) rows, largest first."""
    if not rows:
        return empty_chart(chart, label, "nothing to show", width=width)
    row_height, left = 20, 170
    height = row_height * len(rows) + 6
    x = Scale(0, max(v for _, v, _ in rows) or 1.0, left, width - 90)
    body = []
    for i, (name, value, note) in enumerate(rows):
        y0 = 3 + i * row_height
        body.append(text(left - 6, y0 + 13, name, anchor="end", size=11))
        body.append(f'<rect class="bar" x="{left}" y="{y0 + 3}" '
                    f'width="{max(x(value) - left, 1):.1f}" height="{row_height - 6}" '
                    f'fill="{safe_color(color)}"><title>{esc(name)}: {value_format(value)}'
                    f'{esc(" — " + note) if note else ""}</title></rect>')
        body.append(text(x(value) + 4, y0 + 13, f"{value_format(value)} {note}".strip(),
                         size=10, color="#555"))
    return svg(width, height, body, chart, label)


def box_plots(rows: list[dict], *, color: str, chart: str, label: str,
              width: int = 420) -> str:
    """One pair per feature: the segment's box (p25..p75, median, p05..p95 whiskers) over the
    population's. A row: {"feature", "segment": (p05, p25, p50, p75, p95), "population": ...}."""
    if not rows:
        return empty_chart(chart, label, "no numeric feature to show", width=width)
    block, left = 54, 10
    height = block * len(rows)
    body = []
    for i, item in enumerate(rows):
        values = _finite([*item["segment"], *item["population"]])
        x = Scale(min(values), max(values), left + 4, width - 10)
        y0 = i * block
        body.append(text(left, y0 + 12, item["feature"], size=11, weight="bold"))
        for j, (who, stats, fill) in enumerate(
                (("segment", item["segment"], safe_color(color)),
                 ("everyone", item["population"], POPULATION))):
            p05, p25, p50, p75, p95 = (float(v) for v in stats)
            yc = y0 + 24 + j * 14
            body.append(f'<g class="box"><title>{esc(item["feature"])} ({who}): p5 {fmt(p05)}, '
                        f'p25 {fmt(p25)}, median {fmt(p50)}, p75 {fmt(p75)}, p95 {fmt(p95)}'
                        '</title>'
                        f'<line x1="{x(p05):.1f}" y1="{yc}" x2="{x(p95):.1f}" y2="{yc}" '
                        f'stroke="{INK}"/>'
                        f'<rect x="{x(p25):.1f}" y="{yc - 5}" '
                        f'width="{max(x(p75) - x(p25), 1):.1f}" height="10" fill="{fill}" '
                        f'stroke="{INK}" stroke-width="0.5"/>'
                        f'<line x1="{x(p50):.1f}" y1="{yc - 6}" x2="{x(p50):.1f}" '
                        f'y2="{yc + 6}" stroke="{INK}" stroke-width="2"/></g>')
        body.append(text(width - 10, y0 + 12, f"{fmt(x.lo)} … {fmt(x.hi)}", anchor="end",
                         size=9, color="#777"))
    return svg(width, height, body, chart, label)


def heatmap(labels: list[str], counts: dict[tuple[str, str], int], *, chart: str,
            label: str) -> str:
    """Confusion matrix: rows the segment users are in, columns the predicted one."""
    if not labels:
        return empty_chart(chart, label, "no held-out users")
    cell, left, top = 44, 70, 54
    size = len(labels)
    width, height = max(left + cell * size + 10, 240), top + cell * size + 10
    row_totals = {a: sum(counts.get((a, p), 0) for p in labels) for a in labels}
    body = [text(left + cell * size / 2, 12, "predicted by the surrogates", anchor="middle",
                 size=10),
            text(4, top - 6, "actual", size=10)]
    for j, name in enumerate(labels):
        body.append(text(left + j * cell + cell / 2, top - 8, name, anchor="middle", size=10))
        body.append(text(left - 6, top + j * cell + cell / 2 + 4, name, anchor="end", size=10))
    for i, actual in enumerate(labels):
        for j, predicted in enumerate(labels):
            n = counts.get((actual, predicted), 0)
            share = n / row_totals[actual] if row_totals[actual] else 0.0
            fill = f"rgba(78,121,167,{0.08 + 0.92 * share:.2f})"
            body.append(f'<rect class="cell" x="{left + j * cell}" y="{top + i * cell}" '
                        f'width="{cell - 2}" height="{cell - 2}" fill="{fill}"><title>'
                        f'{esc(actual)} predicted as {esc(predicted)}: {n:,} ({share:.0%} of '
                        f'{esc(actual)})</title></rect>')
            body.append(text(left + j * cell + cell / 2 - 1, top + i * cell + cell / 2 + 3,
                             f"{n:,}", anchor="middle", size=10,
                             color="#fff" if share > 0.55 else INK))
    return svg(width, height, body, chart, label)


def empty_chart(chart: str, label: str, message: str, width: int = 360) -> str:
    return svg(width, 30, [text(4, 18, message, color="#777")], chart, label)
