-- Every node of the segment tree: top-level segments, their children, and so on.

with

nodes as (

    select * from {{ ref('segmentation_segments') }}

),

final as (

    select
        cast(segment_id as varchar) as segment_id,
        cast(parent_segment_id as varchar) as parent_segment_id,
        cast(depth as integer) as depth,
        cast(is_leaf as boolean) as is_leaf,
        cast(n_users as bigint) as n_users,
        cast(share_of_users as double) as share_of_users,
        cast(n_fit as bigint) as n_users_fitted,
        cast(algorithm as varchar) as algorithm,
        cast(split_algorithm as varchar) as split_algorithm,
        cast(n_children as integer) as n_children,
        cast(stability as double) as stability,
        cast(mean_confidence as double) as mean_confidence,
        cast(is_noise as boolean) as is_noise,
        cast(is_outlier_segment as boolean) as is_outlier_segment,
        cast(model_version as varchar) as model_version
    from nodes

)

select * from final
