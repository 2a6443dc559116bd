{#-
    Gate: a key column has the same type as the key it joins to. '00123' and 123 never match,
    and casting one side would only hide that the two systems disagree about the key.
-#}
{% test segscope_same_type_as(model, column_name, to, field) %}

{%- set types = {'this': 'unknown', 'other': 'unknown'} -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model)
        if column.name | lower == column_name | lower -%}
        {%- do types.update({'this': column.dtype | upper}) -%}
    {%- endfor -%}
    {%- for column in adapter.get_columns_in_relation(to) if column.name | lower == field | lower -%}
        {%- do types.update({'other': column.dtype | upper}) -%}
    {%- endfor -%}
{%- endif -%}
{%- set this_type, other_type = types.this, types.other -%}

select
    '{{ model.identifier }}.{{ column_name }}' as this_column,
    '{{ this_type }}' as this_type,
    '{{ to.identifier }}.{{ field }}' as other_column,
    '{{ other_type }}' as other_type
where '{{ this_type }}' != '{{ other_type }}'

{% endtest %}
