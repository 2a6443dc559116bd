"""The stability table of the segmentation stability checks (no refit)."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import unpacked

    return unpacked(session, dbt.ref("segmentation_stability_checks"), "stability")
