{#-
    Gate: the raw user key can be cast to var segscope_user_key_type, the key's type in
    user_features and every segment table: text keys need string.
-#}
{% test segscope_key_fits_type(model, column_name) %}

{%- set key_type = var('segscope_user_key_type') | lower -%}
{%- set raw_type = {'type': 'unknown'} -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(model)
        if column.name | lower == column_name | lower -%}
        {%- do raw_type.update({'type': column.dtype | upper}) -%}
    {%- endfor -%}
{%- endif -%}
{%- set fits = key_type in ('string', 'varchar')
    or segscope_type_family(raw_type.type) == 'integer' -%}

select
    '{{ model.identifier }}.{{ column_name }}' as key_column,
    '{{ raw_type.type }}' as raw_type,
    '{{ key_type }}' as segscope_user_key_type,
    'the user key is {{ raw_type.type }}, which cannot be cast to var segscope_user_key_type '
    || '= {{ key_type }}: set segscope_user_key_type: string for text keys' as rule
where {{ 'false' if fits else 'true' }}

{% endtest %}
