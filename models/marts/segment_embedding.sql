-- A bounded sample of users in two dimensions, for scatter plots coloured by segment.
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

embedding as (

    select * from {{ ref('segmentation_embedding_2d') }}

),

final as (

    select
        cast(user_id as {{ var('segscope_user_key_type') }}) as user_id,
        cast(x as double) as x,
        cast(y as double) as y,
        cast(segment_id as string) as segment_id,
        cast(top_segment_id as string) as top_segment_id,
        cast(model_version as string) as model_version
    from embedding

)

select * from final
