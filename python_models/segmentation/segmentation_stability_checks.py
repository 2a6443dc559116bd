"""Bootstrap, reseeded and per-signup-cohort refits of every split of the one fit. The
stability tables unpack its result. Apply mode reuses the persisted checks of the persisted
fit."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import (
        check_stability,
        fitted_rows,
        output,
        persisted,
        reuse_in_apply_mode,
        to_pandas,
    )

    fit = to_pandas(dbt.ref("segmentation_fit"))
    # read only when the checks run
    features = dbt.ref("segmentation_input")
    windows = dbt.ref("int_users__observation_windows")
    return output(session, reuse_in_apply_mode(
        meta["segscope_mode"], persisted(session, dbt.this), fit,
        lambda: check_stability(fit, fitted_rows(fit, features),
                                fitted_rows(fit, windows, "user_id")[["user_id", "signed_up_at"]],
                                meta["segscope_stability"])))
