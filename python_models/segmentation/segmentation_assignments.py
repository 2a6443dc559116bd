"""Every segmented user's assignment from the one segmentation fit (no refit). On Spark the
fit saw a sample; the other users are scored with it on the workers."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import assignments_relation, output

    return output(session, assignments_relation(dbt.ref("segmentation_fit"),
                                                dbt.ref("segmentation_input")))
