"""Users the persisted fit has not segmented (they became eligible since), each scored with
it: routed down the fitted tree, nothing refitted. Empty right after a fit."""


def model(dbt, session):
    dbt.config(materialized="table")

    from segscope.warehouse import score_new_users

    return score_new_users(dbt.ref("segmentation_fit").df(), dbt.ref("segmentation_input").df())
