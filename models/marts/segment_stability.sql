-- Is each segment real: bootstrap Jaccard (clusterboot), ARI of its split across seeds, and
-- the worst Jaccard when each signup cohort is refitted alone.
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

stability as (

    select * from {{ ref('segmentation_stability') }}

),

final as (

    select
        cast(segment_id as string) as segment_id,
        cast(parent_segment_id as string) as parent_segment_id,
        cast(bootstrap_jaccard as double) as bootstrap_jaccard,
        cast(bootstrap_jaccard_min as double) as bootstrap_jaccard_min,
        cast(dissolved_share as double) as dissolved_share,
        cast(n_bootstrap as integer) as n_bootstrap,
        cast(stability_status as string) as stability_status,
        cast(seed_ari as double) as seed_ari,
        cast(seed_ari_min as double) as seed_ari_min,
        cast(cohort_jaccard_min as double) as cohort_jaccard_min,
        cast(n_cohorts as integer) as n_cohorts,
        cast(n_sampled as integer) as n_users_sampled,
        cast(model_version as string) as model_version
    from stability

)

select * from final
