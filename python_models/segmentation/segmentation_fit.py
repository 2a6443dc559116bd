"""The one fit: preprocess, reduce, cluster and zoom in. Every segment table unpacks its result.

Fit mode refits, and the new segments take the ids of the published segments they continue;
apply mode keeps the published fit as it is (new users are scored by segmentation_scores)."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import (
        fit_or_apply,
        fit_relation,
        output,
        persisted,
        published_segments,
        published_table,
    )

    # read only when a fit runs
    features = dbt.ref("segmentation_input")
    catalog = dbt.ref("feature_catalog")
    source = f"{meta['segscope_segmentation_features']} (var segscope_segmentation_features)"
    published = meta["segscope_published_schema"]
    # apply mode keeps the fit BI reads, not one a failed build left unpublished
    return output(session, fit_or_apply(
        meta["segscope_mode"],
        persisted(session, published_table(session, dbt.this, published, "segmentation_fit")),
        lambda: fit_relation(features, catalog, meta["segscope_segmentation"], source,
                             published_segments(session, dbt.this, published))))
