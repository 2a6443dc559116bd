-- The feature catalog as a table, for the Python models and for people: one row per feature.
-- depends_on: {{ ref('user_features') }}, {{ ref('user_event_features') }}
-- noqa: disable=LT02,RF04
-- (LT02: the layout is the Jinja loop's; RF04: kind and transform are the catalog's words)
{%- set features = segscope_feature_catalog() %}

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

)

select * from catalog
