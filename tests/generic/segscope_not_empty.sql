{#- Gate: the model has at least one row; `why` says what an empty one means. -#}
{% test segscope_not_empty(model, why) %}

select
    '{{ model.identifier }}' as empty_model,
    {{ segscope_sql_string(why) }} as rule
where not exists (select 1 from {{ model }})

{% endtest %}
