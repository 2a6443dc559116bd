{% macro segscope_segment_color(segment_id) %}
    {#-
        A colour per top-level segment (Tableau 10), shared by its children so a tree reads as
        families; the segment_labels seed overrides it.
    -#}
    {%- set palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948',
                       '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'] -%}
    case cast(split_part({{ segment_id }}, '.', 1) as integer) % {{ palette | length }}
        {%- for color in palette %}
        when {{ (loop.index) % (palette | length) }} then '{{ color }}'
        {%- endfor %}
    end
{% endmacro %}
