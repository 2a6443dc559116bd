{#-
    The feature catalog is the column list of user_features in _marts__models.yml: each feature
    column carries meta.feature = {kind, transform, expression, default, source, hypothesis}.
    One declaration feeds the SQL that computes the features, the contract that types them, the
    feature_catalog table the Python models read, and the leakage gate.
-#}

{% macro segscope_feature_catalog() %}
    {#- the graph is only there at execution; parsing needs just the refs -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set node = graph.nodes.values() | selectattr('name', 'equalto', 'user_features') | first -%}
    {%- set features = [] -%}
    {%- for column in node.columns.values() if column.meta.get('feature') -%}
        {%- set spec = column.meta.feature -%}
        {%- for key in ('kind', 'transform', 'expression', 'hypothesis') if not spec.get(key) -%}
            {{ exceptions.raise_compiler_error(
                "feature catalog (user_features in _marts__models.yml): feature '" ~ column.name
                ~ "' has no meta.feature." ~ key) }}
        {%- endfor -%}
        {%- do features.append({
            'name': column.name,
            'data_type': column.data_type,
            'description': column.description,
            'kind': spec.kind,
            'transform': spec.transform,
            'expression': spec.expression,
            'default': spec.default if spec.get('default') is not none else 'null',
            'source': spec.get('source', 'events'),
            'hypothesis': spec.hypothesis,
        }) -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}
