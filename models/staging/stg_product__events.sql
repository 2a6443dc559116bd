-- the vars are checked while the project parses, before any SQL runs
{{ segscope_check_vars() }}
{{ segscope_check_source_mapping('events') }}

with

source as (

    select * from {{ source('product', 'events') }}

),

renamed as (

    select
        {% if segscope_mapping('events').get('event_id') is none -%}
        -- no event key in the source: the event's own content identifies it
        {{ dbt.hash(dbt.concat([
            segscope_mapped_column('events', 'user_id', dbt.type_string()), "'|'",
            segscope_mapped_column('events', 'occurred_at', dbt.type_string()), "'|'",
            segscope_mapped_column('events', 'event_name', dbt.type_string()), "'|'",
            "coalesce(" ~ segscope_mapped_column('events', 'item_id', dbt.type_string()) ~ ", '')",
        ])) }} as event_id,
        {%- else -%}
        {{ segscope_mapped_column('events', 'event_id') }} as event_id,
        {%- endif %}
        -- the key keeps its raw type, so the key-type gate sees what the source really holds
        {{ segscope_mapped_column('events', 'user_id') }} as user_id,
        {{ segscope_mapped_column('events', 'event_name', dbt.type_string()) }} as event_name,
        {{ segscope_mapped_column('events', 'occurred_at', dbt.type_timestamp()) }} as occurred_at,
        {{ segscope_mapped_column('events', 'item_id', dbt.type_string()) }} as item_id,
        -- in double: a 32-bit float would overflow on a big value before any gate saw it
        {{ segscope_mapped_column('events', 'value', 'double') }} as event_value

    from source

)

select * from renamed
