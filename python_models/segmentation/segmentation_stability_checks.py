"""Bootstrap, reseeded and per-signup-cohort refits of every split of the one fit. The
stability tables unpack its result."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import check_stability

    fit = dbt.ref("segmentation_fit").df()
    features = dbt.ref("segmentation_input").df()
    signups = dbt.ref("int_users__observation_windows").df()[["user_id", "signed_up_at"]]
    return check_stability(fit, features, signups, meta["segscope_stability"])
