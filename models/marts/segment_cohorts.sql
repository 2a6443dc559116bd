-- Per segment and signup cohort: the segment's share of the cohort against its share overall,
-- and whether the cohort's own refit finds it (Jaccard of the best match).
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

cohorts as (

    select * from {{ ref('segmentation_cohorts') }}

),

final as (

    select
        cast(segment_id as string) as segment_id,
        cast(parent_segment_id as string) as parent_segment_id,
        cast(cohort as string) as cohort,
        cast(n_cohort_users as bigint) as n_cohort_users,
        cast(n_segment_users as bigint) as n_segment_users,
        cast(share_in_cohort as double) as share_in_cohort,
        cast(share_overall as double) as share_overall,
        cast(jaccard as double) as jaccard,
        cast(cohort_ari as double) as cohort_ari,
        cast(model_version as string) as model_version
    from cohorts

)

select * from final
