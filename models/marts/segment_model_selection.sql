-- Every candidate clustering tried at every node of the tree, with the evidence for the choice.
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

candidates as (

    select * from {{ ref('segmentation_model_selection') }}

),

final as (

    select
        cast(segment_id as string) as node_segment_id,
        cast(depth as integer) as node_depth,
        cast(n_fit as bigint) as n_users_fitted,
        cast(algorithm as string) as algorithm,
        cast(params as string) as parameters,
        cast(n_clusters as integer) as n_clusters,
        cast(silhouette as double) as silhouette,
        cast(davies_bouldin as double) as davies_bouldin,
        cast(calinski_harabasz as double) as calinski_harabasz,
        cast(inertia as double) as inertia,
        cast(noise_share as double) as noise_share,
        cast(stability as double) as stability,
        cast(quality as double) as quality,
        cast(is_valid as boolean) as is_valid,
        cast(is_elbow as boolean) as is_elbow,
        cast(is_best as boolean) as is_best,
        cast(is_chosen as boolean) as is_chosen,
        cast(input_quality as double) as input_quality,
        cast(null_quality as double) as null_quality,
        cast(node_stability as double) as node_stability,
        cast(did_split as boolean) as did_split,
        cast(split_reason as string) as split_reason,
        cast(model_version as string) as model_version
    from candidates

)

select * from final
