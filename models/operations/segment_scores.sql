-- Users scored with the persisted fit (var segscope_mode: apply) because they became eligible
-- after it: one row per user and model version, appended the first time the user is scored
-- under that version, so scored_at says when a user first got their segment.
-- Published with the other segment tables or not at all.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
    )
}}

with

scores as (

    select * from {{ ref('segmentation_scores') }}

),

new_scores as (

    select *
    from scores
    {% if is_incremental() %}
        where not exists (
            select 1 from {{ this }} as scored
            where
                scored.user_id = scores.user_id
                and scored.model_version = scores.model_version
        )
    {% endif %}

),

final as (

    select
        cast(user_id as {{ var('segscope_user_key_type') }}) as user_id,
        cast(segment_id as string) as segment_id,
        cast(top_segment_id as string) as top_segment_id,
        cast(segment_path as string) as segment_path,
        cast(depth as integer) as depth,
        cast(confidence as double) as confidence,
        cast(is_outlier as boolean) as is_outlier,
        cast(model_version as string) as model_version,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as scored_at
    from new_scores

)

select * from final
