"""The segments table of the one segmentation fit (no refit). On Spark the sizes are counted
over every assigned user."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import output, segments_relation

    return output(session, segments_relation(dbt.ref("segmentation_fit"),
                                             dbt.ref("segmentation_assignments")))
