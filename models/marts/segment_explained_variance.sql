-- PCA's explained variance per tree node: how much of the node's spread each component holds,
-- and which components its clustering kept (empty when the reducer is not PCA).
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

explained_variance as (

    select * from {{ ref('segmentation_explained_variance') }}

),

final as (

    select
        cast(segment_id as string) as node_segment_id,
        cast(component as integer) as component,
        cast(explained_variance_ratio as double) as explained_variance_ratio,
        cast(cumulative as double) as cumulative_explained_variance,
        cast(is_kept as boolean) as is_kept,
        cast(model_version as string) as model_version
    from explained_variance

)

select * from final
