-- Per split, held-out users by the segment they are in and the one the surrogates predict.
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

confusion as (

    select * from {{ ref('segmentation_confusion') }}

),

final as (

    select
        cast(parent_segment_id as string) as parent_segment_id,
        cast(actual_segment_id as string) as actual_segment_id,
        cast(predicted_segment_id as string) as predicted_segment_id,
        cast(n_users as bigint) as n_users,
        cast(model_version as string) as model_version
    from confusion

)

select * from final
