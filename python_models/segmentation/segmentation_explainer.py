"""Surrogates and SHAP for the one fit: why each user is in their segment. Every explanation
table unpacks its result."""


def model(dbt, session):
    meta = dbt.config.get("meta")
    dbt.config(materialized="table")

    from segscope.warehouse import explain_segmentation

    fit = dbt.ref("segmentation_fit").df()
    features = dbt.ref("segmentation_input").df()
    return explain_segmentation(fit, features, meta["segscope_explanation"])
