"""The report page: one HTML file with inline CSS and SVG, every data text escaped."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone

import pandas as pd

from segscope.report import svg
from segscope.report.data import TOP_BOX_FEATURES, ReportData, one_segment_notice
from segscope.report.svg import esc, fmt, safe_color
from segscope.segmentation.tree import segment_sort_key

SECTIONS = (
    ("data-quality", "Data quality"),
    ("explained-variance", "PCA explained variance"),
    ("model-selection", "Model selection"),
    ("embedding", "Embedding"),
    ("segment-tree", "Segment tree"),
    ("segments", "Segments"),
    ("confusion", "Surrogate confusion"),
)

STATUS_COLORS = {"stable": "#2e7d32", "doubtful": "#b26a00", "dissolving": "#c62828"}

CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0;
background:#f4f5f7}
header{background:#1f2a37;color:#fff;padding:18px 28px}header h1{margin:0 0 4px;font-size:22px}
header .meta{opacity:.85;font-size:13px}header .notice{margin:10px 0 0;padding:8px 12px;
background:#fff4ce;color:#3b2f00;border-radius:4px;max-width:1000px}
nav{padding:6px 28px;background:#fff;
border-bottom:1px solid #ddd;position:sticky;top:0;z-index:1}nav a{margin-right:16px;
color:#1f5fa8;text-decoration:none}main{padding:12px 28px 40px}section{background:#fff;
border:1px solid #e1e4e8;border-radius:6px;padding:14px 18px;margin:14px 0}
h2{margin:0 0 10px;font-size:18px}h3{margin:12px 0 6px;font-size:15px}
.grid{display:flex;flex-wrap:wrap;gap:18px}.figure{margin:0}.figure figcaption{font-size:12px;
color:#555;max-width:420px}table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;
border-bottom:1px solid #eee;text-align:left}td.num,th.num{text-align:right}
.card{border:1px solid #e1e4e8;border-left:8px solid var(--c);border-radius:6px;padding:10px 14px;
margin:12px 0}.card h3{margin-top:0}.card.depth-2{margin-left:24px}.card.depth-3{margin-left:48px}
.card.depth-4{margin-left:72px}.swatch{display:inline-block;width:12px;height:12px;
background:var(--c);border-radius:2px;margin-right:6px}.badge{display:inline-block;padding:1px 8px;
border-radius:10px;color:#fff;font-size:12px;margin-right:6px;background:var(--b)}
.muted{color:#666}.warn{color:#b26a00}.fail{color:#c62828}ul.obs{margin:4px 0 8px 18px;padding:0}
details summary{cursor:pointer;color:#1f5fa8}
"""


def render(data: ReportData, title: str = "segscope segments") -> str:
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    segments = _ordered(data.segments)
    params = _params(data.run["params"])
    meta = (f'model <b>{esc(data.run["model_version"])}</b> · fitted {esc(data.run["fitted_at"])}'
            f' · {data.n_users:,} users · {len(segments)} segments '
            f'({int(segments.is_leaf.sum())} leaves) · reducer {esc(params.get("reducer", "?"))}'
            f', algorithm {esc(params.get("algorithm", "?"))} · report written {generated}')
    body = [
        _data_quality(data),
        _explained_variance(data),
        _model_selection(data),
        _embedding(data, segments),
        _tree(segments),
        _cards(data, segments),
        _confusion(data, segments),
    ]
    notice = one_segment_notice(data.segments, data.model_selection)
    notice = f'<p class="notice" id="one-segment">{esc(notice)}</p>' if notice else ""
    nav = "".join(f'<a href="#{anchor}">{esc(name)}</a>' for anchor, name in SECTIONS)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        # nothing may load from elsewhere: the report is one file that works offline
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        'style-src \'unsafe-inline\'; img-src data:">'
        f"<style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title)}</h1><div class="meta">{meta}</div>{notice}</header>'
        f"<nav>{nav}</nav><main>{''.join(body)}</main></body></html>\n"
    )


def _section(anchor: str, intro: str, content: str) -> str:
    name = dict(SECTIONS)[anchor]
    return (f'<section id="{anchor}"><h2>{esc(name)}</h2><p class="muted">{esc(intro)}</p>'
            f"{content}</section>")


def _figure(chart: str, caption: str) -> str:
    return f'<figure class="figure">{chart}<figcaption>{esc(caption)}</figcaption></figure>'


def _params(text) -> dict:
    try:
        return json.loads(text) if text else {}
    except (TypeError, ValueError):
        return {}


def _ordered(segments: pd.DataFrame) -> pd.DataFrame:
    keys = segments.segment_id.map(segment_sort_key)
    return segments.assign(_key=keys).sort_values("_key").drop(columns="_key")


def _node_order(node_ids) -> list[str]:
    """'root' first, then the tree order."""
    return sorted(set(node_ids), key=lambda n: (0, ()) if n == "root" else (1, segment_sort_key(n)))


def _value(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


# --- sections ---------------------------------------------------------------------------------

def _data_quality(data: ReportData) -> str:
    counts = "".join(
        f'<tr><td>{esc(label)}</td><td class="muted">{esc(relation)}</td>'
        f'<td class="num">{"–" if value is None else f"{value:,}"}</td></tr>'
        for label, relation, value in data.pipeline_counts)
    parts = [f'<h3>Rows through the pipeline</h3><table class="counts"><tr><th>stage</th>'
             f'<th>table</th><th class="num">rows</th></tr>{counts}</table>']
    tests = data.tests
    if tests.empty:
        parts.append('<p class="warn">No test results recorded: run `dbt build` (it keeps every '
                     "test's outcome in data_test_results).</p>")
    else:
        started = esc(tests.run_started_at.iloc[0])
        parts.append(f'<p class="muted">Tests of the build started {started}.</p>')
        for is_gate, heading in ((True, "Gates (before any model learns)"),
                                 (False, "Checks of the segment tables")):
            group = tests[tests.is_gate == is_gate]
            tally = group.status.value_counts()
            summary = ", ".join(f"{n} {esc(status)}" for status, n in tally.items())
            rows = "".join(
                f'<tr class="{_status_class(t.status)}"><td>{esc(t.status)}</td>'
                f"<td>{esc(t.tested_model)}</td><td>{esc(t.column_name or '')}</td>"
                f"<td>{esc(t.test_name)}</td><td>{esc(t.severity)}</td>"
                f"<td>{esc(_message(t))}</td></tr>"
                for t in group.itertuples())
            problems = group[group.status != "pass"]
            listed = "".join(f'<li class="{_status_class(t.status)}">{esc(t.status)}: '
                             f"{esc(t.test_name)} on {esc(t.tested_model)}: {esc(_message(t))}"
                             "</li>" for t in problems.itertuples())
            parts.append(
                f'<h3 class="tests" data-gate="{str(is_gate).lower()}">{esc(heading)}: '
                f"{summary or 'none'}</h3>"
                + (f"<ul>{listed}</ul>" if listed else "")
                + f"<details><summary>all {len(group)}</summary><table><tr><th>status</th>"
                "<th>model</th><th>column</th><th>test</th><th>severity</th><th>result</th></tr>"
                f"{rows}</table></details>")
    return _section("data-quality", "Every gate ran before the segmentation read a row; warnings"
                    " let the build go on and are listed here.", "".join(parts))


def _status_class(status: str) -> str:
    return {"pass": "", "warn": "warn"}.get(status, "fail")


def _message(test) -> str:
    if test.message:
        return str(test.message)
    failures = _value(test.failures)
    return "" if failures is None else f"{int(failures):,} failing rows"


def _explained_variance(data: ReportData) -> str:
    variance = data.explained_variance
    if variance.empty:
        return _section("explained-variance", "The reducer is not PCA: there is no explained "
                        "variance to show.", "")
    figures = []
    for node in _node_order(variance.node_segment_id):
        rows = variance[variance.node_segment_id == node]
        kept = rows[rows.is_kept]
        total = kept.cumulative_explained_variance.max() if not kept.empty else 0.0
        figures.append(_figure(
            svg.bars_with_total(rows.explained_variance_ratio.tolist(), rows.is_kept.tolist(),
                                chart="explained-variance", label=f"explained variance, {node}"),
            f"{_node_name(node)}: {len(kept)} components kept, {total:.0%} of the variance"))
    return _section("explained-variance", "How much of each node's spread the principal "
                    "components hold; dark bars are the components its clustering used.",
                    f'<div class="grid">{"".join(figures)}</div>')


def _node_name(node: str) -> str:
    return "everyone (root)" if node == "root" else f"inside segment {node}"


def _model_selection(data: ReportData) -> str:
    selection = data.model_selection
    blocks = []
    for node in _node_order(selection.node_segment_id):
        rows = selection[selection.node_segment_id == node]
        kmeans = rows[rows.algorithm == "kmeans"].sort_values("n_clusters")
        chosen = rows[rows.is_chosen]
        elbow_marks = {int(r.n_clusters): "elbow" for r in kmeans.itertuples() if r.is_elbow}
        for r in chosen.itertuples():
            if r.algorithm == "kmeans":
                elbow_marks[int(r.n_clusters)] = "chosen"
        elbow = svg.line_chart(
            [{"name": "KMeans inertia", "color": "#4e79a7", "marked": elbow_marks,
              "points": [(int(r.n_clusters), r.inertia) for r in kmeans.itertuples()]}],
            x_label="k", y_label="inertia (elbow)", chart="elbow", label=f"elbow, {node}")
        series = []
        for algorithm, color in (("kmeans", "#4e79a7"), ("hdbscan", "#e15759"),
                                 ("dbscan", "#59a14f")):
            candidates = rows[(rows.algorithm == algorithm) & rows.silhouette.notna()]
            if candidates.empty:
                continue
            series.append({
                "name": f"{algorithm} silhouette", "color": color,
                "line": algorithm == "kmeans",
                "marked": {int(r.n_clusters): "chosen" for r in candidates.itertuples()
                           if r.is_chosen},
                "points": [(int(r.n_clusters), r.silhouette)
                           for r in candidates.sort_values("n_clusters").itertuples()],
            })
        null_quality = _value(rows.null_quality.iloc[0])
        reference = (null_quality, "structureless null") if null_quality is not None else None
        silhouette = svg.line_chart(series, x_label="clusters", y_label="silhouette",
                                    chart="silhouette", label=f"silhouette, {node}",
                                    reference=reference)
        reason = rows.split_reason.iloc[0]
        fitted = int(rows.n_users_fitted.iloc[0])
        figures = (
            _figure(elbow, "KMeans inertia by k; the ringed point is the elbow or the chosen k.")
            + _figure(silhouette, "Silhouette of every valid candidate; the ringed one was "
                      "chosen, the dashed line is what the same node scores with no structure.")
        )
        heading = (f'{esc(_node_name(node))} <span class="muted">({fitted:,} users fitted): '
                   f"{esc(reason)}</span>")
        content = f'<div class="grid">{figures}</div>'
        # the splits stay open; the leaves' curves (why they did not split) fold away
        blocks.append(
            f'<div class="node" data-node="{esc(node)}"><h3>{heading}</h3>{content}</div>'
            if rows.did_split.iloc[0] else
            f'<details class="node" data-node="{esc(node)}"><summary>{heading}</summary>'
            f"{content}</details>")
    return _section("model-selection", "At every node of the tree, every candidate clustering "
                    "and the diagnostics it was chosen on (segment_model_selection).",
                    "".join(blocks))


def _embedding(data: ReportData, segments: pd.DataFrame) -> str:
    colors = dict(zip(segments.segment_id, segments.color, strict=True))
    names = dict(zip(segments.segment_id, segments.name, strict=True))
    points = [(r.x, r.y, colors.get(r.top_segment_id), names.get(r.segment_id, r.segment_id))
              for r in data.embedding.itertuples()
              if math.isfinite(r.x) and math.isfinite(r.y)]
    legend = "".join(
        f'<span style="--c:{safe_color(s.color)}"><span class="swatch"></span>{esc(s.name)}'
        "</span> " for s in segments[segments.depth == 1].itertuples())
    chart = svg.scatter(points, chart="embedding", label="2-D embedding by top-level segment")
    return _section("embedding", f"{len(points):,} users (a sample) in the fit's 2-D embedding, "
                    "coloured by their top-level segment.", f"<p>{legend}</p>{chart}")


def _tree(segments: pd.DataFrame) -> str:
    nodes = [{"id": s.segment_id, "parent": s.parent_segment_id if s.depth > 1 else None,
              "depth": int(s.depth), "share": float(s.share_of_users), "color": s.color,
              "name": s.name, "n_users": int(s.n_users)} for s in segments.itertuples()]
    chart = svg.icicle(nodes, chart="tree", label="segment tree")
    return _section("segment-tree", "Each row is a level of zoom; widths are shares of all "
                    "users. Click a segment for its card.", chart)


def _cards(data: ReportData, segments: pd.DataFrame) -> str:
    return _section("segments", "One card per segment of the tree: what sets it apart, why the "
                    "model puts users there, and how sure we are.",
                    "".join(_card(data, s) for s in segments.itertuples()))


def _card(data: ReportData, s) -> str:
    color = safe_color(s.color)
    observations = [o.strip() for o in str(s.key_observations or "").split(";") if o.strip()]
    flags = []
    if s.is_noise:
        flags.append("noise: users no cluster claimed")
    if s.is_outlier_segment:
        flags.append("outliers")
    explanations = data.explanations[data.explanations.segment_id == s.segment_id]
    shap_rows = [(_feature_label(e), float(e.mean_abs_shap),
                  {"higher": "↑ higher", "lower": "↓ lower"}.get(e.direction, ""))
                 for e in explanations.itertuples() if e.mean_abs_shap > 0]
    shap = svg.hbars(shap_rows, color=color, chart="shap", label=f"SHAP, {s.segment_id}")
    boxes = svg.box_plots(_box_rows(data, s.segment_id, explanations), color=color,
                          chart="boxplot", label=f"box plots, {s.segment_id}")
    items = data.items[data.items.segment_id == s.segment_id]
    item_rows = "".join(
        f"<tr><td>{esc(i.item_label)}</td><td class='num'>{i.segment_user_share:.0%}</td>"
        f"<td class='num'>{i.others_user_share:.0%}</td><td class='num'>{_lift(i.lift)}</td></tr>"
        for i in items.itertuples())
    items_html = (f"<table class='items'><tr><th>item</th><th class='num'>of these users</th>"
                  f"<th class='num'>of others</th><th class='num'>lift</th></tr>{item_rows}"
                  "</table>") if item_rows else '<p class="muted">No distinctive items.</p>'
    return (
        f'<article class="card depth-{int(s.depth)}" id="segment-{esc(s.segment_id)}" '
        f'style="--c:{color}" data-segment="{esc(s.segment_id)}">'
        f'<h3><span class="swatch"></span>{esc(s.name)} <span class="muted">'
        f"{int(s.n_users):,} users · {s.share_of_users:.1%} of all"
        f"{' · leaf' if s.is_leaf else ''}</span></h3>"
        + (f"<p>{esc(s.description)}</p>" if _value(s.description) else "")
        + (f"<p class='warn'>{esc('; '.join(flags))}</p>" if flags else "")
        + f"<div>{_stability_badge(s)}{_fidelity_badge(s)}</div>"
        + ("<ul class='obs'>" + "".join(f"<li>{esc(o)}</li>" for o in observations) + "</ul>"
           if observations else "<p class='muted'>Nothing stands out against the population.</p>")
        + '<div class="grid">'
        + _figure(shap, "Why the model puts users here: mean |SHAP| of the surrogate that tells "
                        "this segment from its siblings.")
        + _figure(boxes, "Its top features: the segment (colour) against everyone (grey); box "
                         "p25–p75, line median, whiskers p5–p95.")
        + f'<figure class="figure">{items_html}<figcaption>Distinctive items (class-based '
          "TF-IDF against the other segments at its depth).</figcaption></figure>"
        + "</div></article>")


def _lift(value) -> str:
    # no user of the other segments has the item
    return "only here" if _value(value) is None or math.isinf(value) else f"{value:.1f}×"


def _feature_label(e) -> str:
    level = _value(e.top_level)
    return f"{e.feature_name} = {level}" if level is not None else str(e.feature_name)


def _box_rows(data: ReportData, segment_id: str, explanations: pd.DataFrame) -> list[dict]:
    profiles = data.profiles[(data.profiles.segment_id == segment_id)
                             & data.profiles.level.isna() & data.profiles.segment_p25.notna()]
    by_feature = {p.feature_name: p for p in profiles.itertuples()}
    # the surrogate's top features, else the profile's (a single-segment tree has no surrogate)
    ranked = [f for f in explanations.feature_name if f in by_feature]
    ranked += [p.feature_name for p in profiles.sort_values("rank_in_segment").itertuples()
               if p.feature_name not in ranked]
    rows = []
    for feature in ranked[:TOP_BOX_FEATURES]:
        p = by_feature[feature]
        rows.append({"feature": feature,
                     "segment": (p.segment_p05, p.segment_p25, p.segment_median, p.segment_p75,
                                 p.segment_p95),
                     "population": (p.population_p05, p.population_p25, p.population_median,
                                    p.population_p75, p.population_p95)})
    return rows


def _stability_badge(s) -> str:
    status = _value(s.stability_status)
    if status is None:
        return '<span class="badge" style="--b:#777">stability: not checked</span>'
    detail = ", ".join(part for part in (
        f"bootstrap Jaccard {fmt(_value(s.bootstrap_jaccard), 2)}",
        f"seed ARI {fmt(_value(s.seed_ari), 2)}",
        f"worst cohort Jaccard {fmt(_value(s.cohort_jaccard_min), 2)}") if part)
    return (f'<span class="badge stability" data-status="{esc(status)}" '
            f'style="--b:{STATUS_COLORS.get(status, "#777")}">{esc(status)}</span>'
            f'<span class="muted">{esc(detail)}</span> ')


def _fidelity_badge(s) -> str:
    f1 = _value(s.surrogate_f1)
    if f1 is None:
        return '<span class="badge" style="--b:#777">fidelity: no surrogate</span>'
    color = "#2e7d32" if f1 >= 0.8 else "#b26a00"
    return (f'<span class="badge fidelity" style="--b:{color}">surrogate F1 {f1:.2f}</span>'
            f'<span class="muted">split macro-F1 {fmt(_value(s.surrogate_split_macro_f1), 2)}'
            "</span>")


def _confusion(data: ReportData, segments: pd.DataFrame) -> str:
    confusion = data.confusion
    names = dict(zip(segments.segment_id, segments.name, strict=True))
    figures = []
    parents = confusion.parent_segment_id.fillna("root")
    for parent in _node_order(parents):
        rows = confusion[parents == parent]
        labels = sorted(set(rows.actual_segment_id) | set(rows.predicted_segment_id),
                        key=segment_sort_key)
        counts = {(r.actual_segment_id, r.predicted_segment_id): int(r.n_users)
                  for r in rows.itertuples()}
        correct = sum(n for (a, p), n in counts.items() if a == p)
        total = sum(counts.values())
        caption = (f"Split of {_node_name(parent)}: {correct / total:.1%} of {total:,} held-out "
                   "users put in their own segment: "
                   + "; ".join(str(names.get(label, label)) for label in labels))
        figures.append(_figure(svg.heatmap(labels, counts, chart="confusion",
                                           label=f"confusion, {parent}"), caption))
    content = (f'<div class="grid">{"".join(figures)}</div>' if figures
               else '<p class="muted">The tree has no split: there is nothing to confuse.</p>')
    return _section("confusion", "The surrogates (XGBoost) predict each held-out user's segment "
                    "at every split; the diagonal is agreement with the clustering.", content)
