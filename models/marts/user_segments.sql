-- Every segmented user's leaf segment: what BI joins to. One fit, unpacked by the Python layer.

with

assignments as (

    select * from {{ ref('segmentation_assignments') }}

),

segments as (

    select * from {{ ref('segments') }}

),

final as (

    select
        cast(assignments.user_id as {{ var('segscope_user_key_type') }}) as user_id,
        cast(assignments.segment_id as varchar) as segment_id,
        cast(assignments.top_segment_id as varchar) as top_segment_id,
        cast(assignments.segment_path as varchar) as segment_path,
        cast(assignments.depth as integer) as depth,
        cast(segments.name as varchar) as segment_name,
        cast(assignments.confidence as double) as confidence,
        cast(assignments.is_outlier as boolean) as is_outlier,
        cast(assignments.is_noise as boolean) as is_noise,
        cast(assignments.in_fit_sample as boolean) as in_fit_sample,
        cast(assignments.model_version as varchar) as model_version
    from assignments
    left join segments on cast(assignments.segment_id as varchar) = segments.segment_id

)

select * from final
