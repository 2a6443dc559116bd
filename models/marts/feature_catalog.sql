-- The feature catalog as a table, for the Python models and for people: one row per feature.
-- depends_on: {{ ref('user_features') }}, {{ ref('user_event_features') }}
-- noqa: disable=LT02,RF04
-- (LT02: the layout is the Jinja loop's; RF04: kind and transform are the catalog's words)
{%- set features = segscope_feature_catalog() %}
{%- set smoothed = features | selectattr('raw') | list %}
{%- set events = ref('int_events__in_window') %}

with

catalog as (

    {% for feature in features -%}
    select
        {{ loop.index }} as feature_position,
        '{{ feature.name }}' as feature_name,
        '{{ feature.kind }}' as kind,
        '{{ feature.transform }}' as transform,
        '{{ feature.source }}' as computed_from,
        {{ segscope_sql_string(feature.event_name) }} as event_name,
        {{ segscope_sql_string(feature.expression) }} as expression,
        {{ segscope_sql_string(feature.description) }} as description,
        {{ segscope_sql_string(feature.hypothesis) }} as hypothesis
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

{% if smoothed -%}
-- a smoothed share varies with the event count even where what it measures never varies (no
-- event at night, dates without a time): its raw value tells whether it carries information
raw_values as (

    select
        user_id
        {%- for feature in smoothed %},
        {{ feature.raw }} as {{ feature.name }}
        {%- endfor %}
    from {{ events }}
    group by user_id

),

raw_spread as (

    {% for feature in smoothed -%}
    select
        '{{ feature.name }}' as feature_name,
        {{ segscope_sql_string(feature.raw) }} as raw_expression,
        min({{ feature.name }}) as raw_min,
        max({{ feature.name }}) as raw_max
    from raw_values
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),
{%- else -%}
raw_spread as (

    select
        cast(null as string) as feature_name,
        cast(null as string) as raw_expression,
        cast(null as double) as raw_min,
        cast(null as double) as raw_max
    where false

),
{%- endif %}

final as (

    select
        catalog.*,
        case
            when raw_spread.raw_min = raw_spread.raw_max
                then 'the same for every user before smoothing: ' || raw_spread.raw_expression
                    || ' = ' || cast(round(raw_spread.raw_min, 4) as string)
        end as not_segmented_because
    from catalog
    left join raw_spread on catalog.feature_name = raw_spread.feature_name

)

select * from final
order by feature_position
