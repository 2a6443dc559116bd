{#- Lineage look-ups in the dbt graph, for gates about where a model's data comes from. -#}

{% macro segscope_model_node(relation) %}
    {#- The graph node of the model built into `relation`. -#}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and (node.alias or node.name) == relation.identifier -%}
        {{ return(node) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no model builds " ~ relation) }}
{% endmacro %}


{% macro segscope_resource(unique_id) %}
    {{ return(graph.nodes.get(unique_id) or graph.sources.get(unique_id)) }}
{% endmacro %}


{% macro segscope_upstream_names(unique_id, found=none) %}
    {#- Names (and source identifiers) of every resource upstream of unique_id. -#}
    {%- set found = found if found is not none else [] -%}
    {%- set resource = segscope_resource(unique_id) -%}
    {%- for parent_id in (resource.depends_on.nodes if resource.depends_on is defined else []) -%}
        {%- set parent = segscope_resource(parent_id) -%}
        {%- if parent is not none and parent.name not in found -%}
            {%- do found.append(parent.name) -%}
            {%- if parent.identifier is defined and parent.identifier not in found -%}
                {%- do found.append(parent.identifier) -%}
            {%- endif -%}
            {%- do segscope_upstream_names(parent_id, found) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}


{% macro segscope_regex_word_match(text, word) %}
    {{ return(adapter.dispatch('segscope_regex_word_match')(text, word)) }}
{% endmacro %}

{% macro default__segscope_regex_word_match(text, word) %}
    regexp_matches({{ text }}, '\b' || {{ word }} || '\b')
{% endmacro %}

{% macro spark__segscope_regex_word_match(text, word) %}
    {{ text }} rlike concat('\\b', {{ word }}, '\\b')
{% endmacro %}
