"""The model selection table of the one segmentation fit (no refit)."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import unpacked

    return unpacked(session, dbt.ref("segmentation_fit"), "model_selection")
