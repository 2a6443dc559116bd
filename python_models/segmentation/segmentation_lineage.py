"""The lineage table of the one segmentation fit (no refit): against the previous version."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import unpacked

    return unpacked(session, dbt.ref("segmentation_fit"), "lineage")
