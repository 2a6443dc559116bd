{#-
    Gate: nothing in the model comes from an off-limits column, relation or event name (seed
    leakage_rules). It checks the columns the model really has, the expression of every catalog
    feature (with event_type_features, also the event name of every generated one), every
    relation upstream of it, and the raw column behind every role and attribute of the raw
    tables upstream (a renamed outcome is still an outcome); each failing row names what
    leaked, where, and why.
-#}
{% test segscope_no_leakage(model, rules, event_type_features=false) %}

{#- generated features have no YAML: their expressions and event names come from the catalog
    (called at parse time too, so the test depends on int_event_types) -#}
{%- set generated = segscope_event_type_features() if event_type_features else [] -%}
{%- set observed = [] -%}
{%- if execute -%}
    {%- set node = segscope_model_node(model) -%}
    {%- for column in adapter.get_columns_in_relation(model) -%}
        {%- do observed.append(('column', column.name, column.name)) -%}
    {%- endfor -%}
    {%- for column in node.columns.values() if column.meta.get('feature') -%}
        {%- do observed.append(('expression', column.name, column.meta.feature.expression)) -%}
    {%- endfor -%}
    {%- for feature in generated -%}
        {%- do observed.append(('expression', feature.name, feature.expression)) -%}
        {%- do observed.append(('event_name', feature.name, feature.event_name)) -%}
    {%- endfor -%}
    {%- set upstream = segscope_upstream_names(node.unique_id) -%}
    {%- for name in upstream -%}
        {%- do observed.append(('relation', name, name)) -%}
    {%- endfor -%}
    {%- for mapped_var, role, column in segscope_mapped_source_columns(upstream) -%}
        {%- do observed.append(('source_column', mapped_var ~ '.' ~ role, column)) -%}
    {%- endfor -%}
{%- endif -%}

with

rules as (

    select
        lower(rule_kind) as rule_kind,
        lower(pattern) as pattern,
        reason
    from {{ rules }}

),

observed as (

    {% for kind, name, text in observed -%}
    select
        '{{ kind }}' as found_in,
        '{{ name }}' as name,
        lower({{ segscope_sql_string(text) }}) as text
    {% if not loop.last %}union all{% endif %}
    {% else -%}
    select 'nothing' as found_in, '' as name, '' as text
    {%- endfor %}

),

violations as (

    select
        '{{ model }}' as model_name,
        observed.found_in,
        observed.name,
        rules.rule_kind,
        rules.pattern,
        rules.reason
    from observed
    inner join rules
        on
            (
                observed.found_in in ('column', 'source_column')
                and rules.rule_kind = 'column' and observed.text = rules.pattern
            )
            or (
                observed.found_in in ('column', 'source_column')
                and rules.rule_kind = 'column_pattern' and observed.text like rules.pattern
            )
            or (
                observed.found_in = 'expression' and rules.rule_kind = 'column'
                and {{ segscope_regex_word_match('observed.text', 'rules.pattern') }}
            )
            or (
                observed.found_in = 'event_name'
                and rules.rule_kind = 'event_name' and observed.text like rules.pattern
            )
            or (
                observed.found_in = 'relation'
                and rules.rule_kind = 'relation' and observed.text = rules.pattern
            )

)

select * from violations

{% endtest %}
