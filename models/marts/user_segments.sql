-- Every segmented user's leaf segment: what BI joins to. The users the fit segmented, and the
-- users scored with it since (var segscope_mode: apply), each once.
-- Published with the other segment tables or not at all.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

assignments as (

    select * from {{ ref('segmentation_assignments') }}

),

scores as (

    select * from {{ ref('segment_scores') }}

),

fit as (

    select fitted_at from {{ ref('segmentation_fit') }}

),

segments as (

    select * from {{ ref('segments') }}

),

fitted as (

    select
        assignments.user_id,
        assignments.segment_id,
        assignments.top_segment_id,
        assignments.segment_path,
        assignments.depth,
        assignments.confidence,
        assignments.is_outlier,
        assignments.is_noise,
        assignments.in_fit_sample,
        assignments.model_version,
        'fit' as assigned_by,
        fit.fitted_at as assigned_at
    from assignments
    cross join fit

),

-- users the fit has not segmented, scored with this version of it
scored as (

    select
        scores.user_id,
        scores.segment_id,
        scores.top_segment_id,
        scores.segment_path,
        scores.depth,
        scores.confidence,
        scores.is_outlier,
        false as is_noise,
        false as in_fit_sample,
        scores.model_version,
        'apply' as assigned_by,
        scores.scored_at as assigned_at
    from scores
    where
        scores.model_version in (select fitted.model_version from fitted)
        and scores.user_id not in (select fitted.user_id from fitted)

),

everyone as (

    select * from fitted
    union all
    select * from scored

),

final as (

    select
        cast(everyone.user_id as {{ var('segscope_user_key_type') }}) as user_id,
        cast(everyone.segment_id as string) as segment_id,
        cast(everyone.top_segment_id as string) as top_segment_id,
        cast(everyone.segment_path as string) as segment_path,
        cast(everyone.depth as integer) as depth,
        cast(segments.name as string) as segment_name,
        cast(everyone.confidence as double) as confidence,
        cast(everyone.is_outlier as boolean) as is_outlier,
        cast(everyone.is_noise as boolean) as is_noise,
        cast(everyone.in_fit_sample as boolean) as in_fit_sample,
        cast(everyone.model_version as string) as model_version,
        cast(everyone.assigned_by as string) as assigned_by,
        cast(everyone.assigned_at as timestamp) as assigned_at
    from everyone
    left join segments on cast(everyone.segment_id as string) = segments.segment_id

)

select * from final
