"""What the report shows, read from the warehouse's segment tables in one read-only pass."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

# models upstream of the segmentation: their tests are the gates that stop a build before any
# model learns from bad data
GATE_MODEL_PREFIXES = ("stg_", "int_")
GATE_MODELS = ("user_features", "feature_catalog", "leakage_rules")

# the pipeline's row counts, in data-flow order: (label, relation, what is counted)
PIPELINE_COUNTS = (
    ("raw users", "stg_product__users", "count(*)"),
    ("raw events", "stg_product__events", "count(*)"),
    ("eligible users (complete window)", "int_users__observation_windows", "count(*)"),
    ("events in the windows (deduplicated)", "int_events__in_window", "count(*)"),
    ("users with features", "user_features", "count(*)"),
    ("segmented users", "user_segments", "count(*)"),
)

# SHAP bars, box plots and items shown per segment card
TOP_SHAP_FEATURES = 8
TOP_BOX_FEATURES = 4
TOP_ITEMS = 8
# embedding points drawn at most (the fit already stores a bounded sample)
MAX_EMBEDDING_POINTS = 5000


def one_segment_notice(segments: pd.DataFrame, model_selection: pd.DataFrame) -> str | None:
    """In words, when the tree did not split at all (one top-level segment): the root's reason,
    so a single segment never passes for a result. None when it split."""
    if (segments["depth"] == 1).sum() > 1:
        return None
    root = model_selection.loc[model_selection["node_depth"] == 0, "split_reason"].dropna()
    reason = root.iloc[0] if len(root) else "no candidate clustering could be tried"
    return ("One segment: the tree did not split, so everybody is in the same segment. At the "
            f"root: {reason}. No candidate beat what structureless data shaped like yours "
            "gives; the data may be a continuum rather than clusters. segment_model_selection "
            "lists every candidate and the bar it had to clear (README: Split only when real).")


class ReportDataError(RuntimeError):
    """The warehouse lacks what the report needs (no build yet, or a partial one)."""


@dataclass
class ReportData:
    run: dict
    pipeline_counts: list[tuple[str, str, int | None]]
    tests: pd.DataFrame
    segments: pd.DataFrame
    profiles: pd.DataFrame
    explanations: pd.DataFrame
    fidelity: pd.DataFrame
    confusion: pd.DataFrame
    model_selection: pd.DataFrame
    explained_variance: pd.DataFrame
    embedding: pd.DataFrame
    items: pd.DataFrame

    @property
    def n_users(self) -> int:
        top = self.segments[self.segments.depth == 1]
        return int(top.n_users.sum())


def _relations(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.sql(
        "select table_name from duckdb_tables() where schema_name = current_schema() "
        "union all select view_name from duckdb_views() "
        "where schema_name = current_schema() and not internal"
    ).fetchall()
    return {name for (name,) in rows}


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.sql(sql).df()


REQUIRED = (
    "segments", "segment_profiles", "segment_explanations", "segment_fidelity",
    "segment_confusion", "segment_model_selection", "segment_explained_variance",
    "segment_embedding", "segment_items", "user_segments", "segmentation_fit",
)


def load(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Read everything the report shows; a clear error names what is missing."""
    present = _relations(con)
    missing = [name for name in REQUIRED if name not in present]
    if missing:
        raise ReportDataError(
            "the warehouse has no " + ", ".join(missing)
            + ": run the whole `dbt build` before writing the report"
        )
    (version, fitted_at, n_fitted, params), = con.sql(
        "select model_version, fitted_at, n_users, params from segmentation_fit"
    ).fetchall()
    run = {"model_version": version, "fitted_at": fitted_at, "n_fitted": n_fitted,
           "params": params}

    counts = []
    for label, relation, expression in PIPELINE_COUNTS:
        value = None
        if relation in present:
            (value,), = con.sql(f"select {expression} from {relation}").fetchall()
        counts.append((label, relation, value))

    return ReportData(
        run=run,
        pipeline_counts=counts,
        tests=_latest_tests(con, present),
        segments=_frame(con, "select * from segments"),
        profiles=_frame(con, "select * from segment_profiles"),
        explanations=_frame(
            con, f"select * from segment_explanations where rank_in_segment <= "
                 f"{TOP_SHAP_FEATURES} order by segment_id, rank_in_segment"),
        fidelity=_frame(con, "select * from segment_fidelity"),
        confusion=_frame(con, "select * from segment_confusion"),
        model_selection=_frame(con, "select * from segment_model_selection"),
        explained_variance=_frame(
            con, "select * from segment_explained_variance order by node_segment_id, component"),
        embedding=_frame(
            con, "select x, y, segment_id, top_segment_id from segment_embedding "
                 f"order by hash(user_id) limit {MAX_EMBEDDING_POINTS}"),
        items=_frame(
            con, f"select * from segment_items where rank <= {TOP_ITEMS} "
                 "order by segment_id, rank"),
    )


def _latest_tests(con: duckdb.DuckDBPyConnection, present: set[str]) -> pd.DataFrame:
    """The tests of the latest build that ran any, each marked gate or segment check."""
    columns = ["test_name", "tested_model", "column_name", "resource_type", "severity",
               "status", "failures", "message", "run_started_at", "is_gate"]
    if "data_test_results" not in present:
        return pd.DataFrame(columns=columns)
    tests = _frame(con, """
        select * from data_test_results
        where invocation_id = (
            select invocation_id from data_test_results
            order by run_started_at desc limit 1
        )
        order by tested_model, test_name
    """)
    tests["is_gate"] = tests.tested_model.fillna("").map(
        lambda model: model.startswith(GATE_MODEL_PREFIXES) or model in GATE_MODELS
    )
    return tests[columns]
