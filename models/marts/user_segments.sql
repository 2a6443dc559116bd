-- Every segmented user's leaf segment: what BI joins to. One fit, unpacked by the Python layer.

with

assignments as (

    select * from {{ ref('segmentation_assignments') }}

),

final as (

    select
        cast(user_id as {{ var('segscope_user_key_type') }}) as user_id,
        cast(segment_id as varchar) as segment_id,
        cast(top_segment_id as varchar) as top_segment_id,
        cast(segment_path as varchar) as segment_path,
        cast(depth as integer) as depth,
        cast(confidence as double) as confidence,
        cast(is_outlier as boolean) as is_outlier,
        cast(is_noise as boolean) as is_noise,
        cast(in_fit_sample as boolean) as in_fit_sample,
        cast(model_version as varchar) as model_version
    from assignments

)

select * from final
