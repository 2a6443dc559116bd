-- the vars are checked while the project parses, before any SQL runs
{{ segscope_check_vars() }}
{% if var('segscope_items_table') is not none -%}
    {{ segscope_check_source_mapping('items') }}
{%- endif %}

with

-- without an items table, the items source is the events table (see _staging__sources.yml)
source as (

    select * from {{ source('product', 'items') }}

),

-- the id is cast to text like the events' item_id, so the two join whatever the source types
renamed as (

    {% if var('segscope_items_table') is none %}
        -- no items table: every item seen in the events is an item, and its id is its label
        select distinct
            {{ segscope_mapped_column('events', 'item_id', dbt.type_string()) }} as item_id,
            {{ segscope_mapped_column('events', 'item_id', dbt.type_string()) }} as item_label,
            cast(null as {{ dbt.type_string() }}) as item_category
        from source
        where {{ segscope_mapped_column('events', 'item_id') }} is not null
    {% else %}
        select
            {{ segscope_mapped_column('items', 'item_id', dbt.type_string()) }} as item_id,
            {{ segscope_mapped_column('items', 'item_label', dbt.type_string()) }} as item_label,
            {{ segscope_mapped_column('items', 'item_category', dbt.type_string()) }} as item_category
        from source
    {% endif %}

)

select * from renamed
