{#-
    Gate (as-of): the model's direct inputs are only the listed models. For user_features this
    means every event it aggregates went through the observation window first.
-#}
{% test segscope_reads_only_from(model, allowed) %}

{%- set parents = [] -%}
{%- if execute -%}
    {%- for parent_id in segscope_model_node(model).depends_on.nodes -%}
        {%- do parents.append(segscope_resource(parent_id).name) -%}
    {%- endfor -%}
{%- endif -%}

{%- set unexpected = parents | reject('in', allowed) | list -%}
select
    '{{ model }}' as model_name,
    '{{ unexpected | join(", ") }}' as unexpected_input
where {{ unexpected | length }} > 0

{% endtest %}
