-- the vars are checked while the project parses, before any SQL runs
{{ segscope_check_vars() }}
{% if var('segscope_users_table') is not none -%}
    {{ segscope_check_source_mapping('users') }}
{%- endif %}

with

{% if var('segscope_users_table') is none -%}
-- no users table: every key seen in the events is a user
source as (

    select distinct {{ segscope_mapped_column('events', 'user_id') }} as user_id
    from {{ source('product', 'events') }}

),

renamed as (

    select
        user_id,
        {%- for attribute in var('segscope_user_attributes') %}
        cast(null as {{ dbt.type_string() }}) as {{ attribute }},
        {%- endfor %}
        cast(null as {{ dbt.type_timestamp() }}) as signed_up_at

    from source

)
{%- else -%}
source as (

    select * from {{ source('product', 'users') }}

),

renamed as (

    select
        {{ segscope_mapped_column('users', 'user_id') }} as user_id,
        {%- for attribute, column in var('segscope_user_attributes').items() %}
        {{ segscope_column_or_null(column, dbt.type_string()) }} as {{ attribute }},
        {%- endfor %}
        {{ segscope_mapped_column('users', 'signed_up_at', dbt.type_timestamp()) }} as signed_up_at

    from source

)
{%- endif %}

select * from renamed
