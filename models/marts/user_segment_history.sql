-- Every user's leaf segment in every model version the warehouse has seen: user_segments
-- appended once per new model_version (a rebuild of the same version adds nothing), so BI can
-- follow users from one fit to the next. --full-refresh leaves the history as it is.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        full_refresh=false,
    )
}}

with

assignments as (

    select * from {{ ref('user_segments') }}

),

new_assignments as (

    select *
    from assignments
    {% if is_incremental() %}
        -- only a version the history does not hold yet
        where not exists (
            select 1 from {{ this }} as recorded
            where recorded.model_version = assignments.model_version
        )
    {% endif %}

),

final as (

    select
        user_id,
        model_version,
        segment_id,
        top_segment_id,
        segment_path,
        segment_name,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp) as recorded_at
    from new_assignments

)

select * from final
