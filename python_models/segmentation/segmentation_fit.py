"""The one fit: preprocess, reduce, cluster and zoom in. Every segment table unpacks its result."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import fit_segmentation

    features = dbt.ref("segmentation_input").df()
    catalog = dbt.ref("feature_catalog").df()
    source = f"{meta['segscope_segmentation_features']} (var segscope_segmentation_features)"
    return fit_segmentation(features, catalog, meta["segscope_segmentation"], source)
