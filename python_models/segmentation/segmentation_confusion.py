"""The confusion table of the segmentation explainer (no refit)."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import unpack

    return unpack(dbt.ref("segmentation_explainer").df(), "confusion")
