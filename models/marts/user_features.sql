-- One row per eligible user with the declared features only (see segscope_feature_catalog).
-- noqa: disable=LT02
-- (LT02: the layout is the Jinja loops')
-- depends_on: {{ ref('leakage_rules') }}
-- (the leakage gate reads the rules: they must be loaded first, so a leak stops what follows)
{%- set features = segscope_feature_catalog() %}

with

windows as (

    select * from {{ ref('int_users__observation_windows') }}

),

events as (

    select * from {{ ref('int_events__in_window') }}

),

event_aggregates as (

    select
        user_id,
        {%- for feature in features if feature.source == 'events' %}
        {{ feature.expression }} as {{ feature.name }}{{ "," if not loop.last }}
        {%- endfor %}
    from events
    group by user_id

),

-- users without a single event in their window are users too: they get the catalog defaults
final as (

    select
        cast(windows.user_id as {{ var('segscope_user_key_type') }}) as user_id,
        {%- for feature in features %}
        {%- if feature.source == 'events' %}
        cast(coalesce(event_aggregates.{{ feature.name }}, {{ feature.default }})
            as {{ feature.data_type }}) as {{ feature.name }}
        {%- else %}
        cast({{ feature.expression }} as {{ feature.data_type }}) as {{ feature.name }}
        {%- endif %}{{ "," if not loop.last }}
        {%- endfor %}
    from windows
    left join event_aggregates on windows.user_id = event_aggregates.user_id

)

select * from final
