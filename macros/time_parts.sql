{% macro segscope_is_weekend(timestamp) %}
    {{ return(adapter.dispatch('segscope_is_weekend')(timestamp)) }}
{% endmacro %}

{% macro default__segscope_is_weekend(timestamp) %}
    -- isodow: Monday 1 .. Sunday 7
    extract(isodow from {{ timestamp }}) >= 6
{% endmacro %}

{% macro spark__segscope_is_weekend(timestamp) %}
    -- dayofweek: Sunday 1 .. Saturday 7
    dayofweek({{ timestamp }}) in (1, 7)
{% endmacro %}
