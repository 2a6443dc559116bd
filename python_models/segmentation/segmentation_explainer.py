"""Surrogates and SHAP for the one fit: why each user is in their segment. Every explanation
table unpacks its result. Apply mode reuses the persisted explainer of the persisted fit."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import (
        explain_segmentation,
        fitted_rows,
        output,
        persisted,
        reuse_in_apply_mode,
        to_pandas,
    )

    fit = to_pandas(dbt.ref("segmentation_fit"))
    features = dbt.ref("segmentation_input")  # read only when the explainer runs
    return output(session, reuse_in_apply_mode(
        meta["segscope_mode"], persisted(session, dbt.this), fit,
        lambda: explain_segmentation(fit, fitted_rows(fit, features),
                                     meta["segscope_explanation"])))
