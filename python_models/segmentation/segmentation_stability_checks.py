"""Bootstrap, reseeded and per-signup-cohort refits of every split of the one fit. The
stability tables unpack its result. Apply mode reuses the persisted checks of the persisted
fit."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import check_stability, persisted, reuse_in_apply_mode

    fit = dbt.ref("segmentation_fit").df()
    # read only when the checks run
    features = dbt.ref("segmentation_input")
    windows = dbt.ref("int_users__observation_windows")
    return reuse_in_apply_mode(
        meta["segscope_mode"], persisted(session, dbt.this), fit,
        lambda: check_stability(fit, features.df(), windows.df()[["user_id", "signed_up_at"]],
                                meta["segscope_stability"]))
