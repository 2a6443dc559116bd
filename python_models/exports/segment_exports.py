"""Every table BI reads, exported to Parquet and replaced atomically (segscope.exports), so BI
can read the files while the next `dbt build` writes the warehouse. One row per table."""


def model(dbt, session):
    meta = dbt.config.get("meta")

    from segscope.exports import export_marts

    marts = {
        "user_features": dbt.ref("user_features"),
        "user_event_features": dbt.ref("user_event_features"),
        "user_segments": dbt.ref("user_segments"),
        "segments": dbt.ref("segments"),
        "segment_profiles": dbt.ref("segment_profiles"),
        "segment_explanations": dbt.ref("segment_explanations"),
        "segment_fidelity": dbt.ref("segment_fidelity"),
        "segment_confusion": dbt.ref("segment_confusion"),
        "segment_stability": dbt.ref("segment_stability"),
        "segment_cohorts": dbt.ref("segment_cohorts"),
        "segment_model_selection": dbt.ref("segment_model_selection"),
        "segment_items": dbt.ref("segment_items"),
        "segment_embedding": dbt.ref("segment_embedding"),
        "segment_lineage": dbt.ref("segment_lineage"),
        "segment_migrations": dbt.ref("segment_migrations"),
        "segment_explained_variance": dbt.ref("segment_explained_variance"),
    }
    # not exported, but built and tested first: a failure anywhere in the build (which then
    # publishes nothing, macros/publication.sql) leaves the export as it was too
    dbt.ref("user_segment_history")
    dbt.ref("segment_model_runs")
    dbt.ref("segment_feature_drift")
    dbt.ref("segment_share_drift")
    dbt.ref("segmentation_preprocess_log")
    return export_marts(session, marts, meta["segscope_export"], meta["segscope_export_dir"])
