"""The fidelity table of the segmentation explainer (no refit)."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import unpacked

    return unpacked(session, dbt.ref("segmentation_explainer"), "fidelity")
