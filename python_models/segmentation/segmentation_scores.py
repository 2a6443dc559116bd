"""Users the persisted fit has not segmented (they became eligible since), each scored with
it: routed down the fitted tree, nothing refitted. Empty right after a fit."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import new_user_scores, output

    return output(session, new_user_scores(dbt.ref("segmentation_fit"),
                                           dbt.ref("segmentation_input")))
