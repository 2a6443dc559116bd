-- Why users are in a segment: per segment and feature, the mean absolute SHAP value of the
-- segment's surrogate (XGBoost, this segment against its siblings), its direction and rank.
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

explanations as (

    select * from {{ ref('segmentation_explanations') }}

),

final as (

    select
        cast(segment_id as string) as segment_id,
        cast(parent_segment_id as string) as parent_segment_id,
        cast(feature_name as string) as feature_name,
        cast(mean_abs_shap as double) as mean_abs_shap,
        cast(share_of_importance as double) as share_of_importance,
        cast(mean_shap as double) as mean_shap,
        cast(direction as string) as direction,
        cast(top_level as string) as top_level,
        cast(rank_in_segment as integer) as rank_in_segment,
        cast(n_users_explained as integer) as n_users_explained,
        cast(model_version as string) as model_version
    from explanations

)

select * from final
