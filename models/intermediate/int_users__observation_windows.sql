-- One row per eligible user: signed up, and their whole observation window is in the data.

with

users as (

    select * from {{ ref('stg_product__users') }}

),

events as (

    select * from {{ ref('stg_product__events') }}

),

{% if segscope_mapping('users').get('signed_up_at') is none
      or var('segscope_users_table') is none -%}
first_events as (

    select
        user_id,
        min(occurred_at) as first_event_at
    from events
    group by user_id

),

-- no signup time in the source: a user's first event stands in for it
users_with_signup as (

    select
        users.user_id,
        {%- for attribute in var('segscope_user_attributes') %}
        users.{{ attribute }},
        {%- endfor %}
        coalesce(users.signed_up_at, first_events.first_event_at) as signed_up_at
    from users
    left join first_events on users.user_id = first_events.user_id

),
{%- else -%}
users_with_signup as (

    select * from users

),
{%- endif %}

windows as (

    select
        *,
        {{ segscope_window_bounds() }}
    from users_with_signup
    where signed_up_at is not null

),

final as (

    select
        windows.*,
        -- in double: a division by a decimal keeps only 6 digits on Spark
        cast({{ dbt.datediff('window_start', 'window_end', 'hour') }} as double) / 24
            as window_length_days
    from windows
    where
        window_start < window_end
        and signed_up_at < window_end
        and window_end <= {{ segscope_as_of(ref('stg_product__events')) }}

)

select * from final
