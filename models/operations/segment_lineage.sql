-- What became of every segment when the fit replaced the previous one: kept (same id, neither
-- split nor merged), split, merged, born or died, with the segments its users came from and
-- went to. A first fit: every segment born.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

lineage as (

    select * from {{ ref('segmentation_lineage') }}

),

fit as (

    select
        model_version,
        previous_model_version
    from {{ ref('segmentation_fit') }}

),

final as (

    select
        cast(lineage.segment_id as string) as segment_id,
        cast(lineage.depth as integer) as depth,
        cast(lineage.status as string) as status,
        cast(nullif(lineage.previous_segment_ids, '') as string) as previous_segment_ids,
        cast(nullif(lineage.next_segment_ids, '') as string) as next_segment_ids,
        cast(lineage.jaccard as double) as jaccard,
        cast(lineage.n_users_previous as bigint) as n_users_previous,
        cast(lineage.n_users_next as bigint) as n_users_next,
        cast(fit.previous_model_version as string) as previous_model_version,
        cast(fit.model_version as string) as model_version
    from lineage
    cross join fit

)

select * from final
