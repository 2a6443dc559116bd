-- Records what every data test and unit test of the invocation said in data_test_results, so
-- the report can show which gates passed after the run is over (run_results.json is
-- overwritten by the next dbt command). Called from on-run-end; one row per test per build.
{% macro segscope_record_test_results(results) %}
    {%- if not execute or flags.WHICH not in ('build', 'test') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows = [] -%}
    {%- for result in results if result.node.resource_type in ('test', 'unit_test') -%}
        {%- set node = result.node -%}
        {%- set tested = node.attached_node or (node.depends_on.nodes | first) or '' -%}
        {%- set severity = node.config.severity if node.resource_type == 'test' else 'error' -%}
        {%- do rows.append("(" ~ [
            segscope_sql_string(invocation_id),
            "cast(" ~ segscope_sql_string(run_started_at.isoformat()) ~ " as "
                ~ segscope_type_timestamp_tz() ~ ")",
            segscope_sql_string(node.unique_id),
            segscope_sql_string(node.name),
            segscope_sql_string(node.resource_type),
            segscope_sql_string(tested.split('.')[-1]),
            segscope_sql_string(node.column_name),
            segscope_sql_string(severity | lower),
            segscope_sql_string(result.status | string),
            (result.failures if result.failures is not none else 'null'),
            segscope_sql_string(result.message),
        ] | join(', ') ~ ")") -%}
    {%- endfor -%}
    {%- if rows -%}
        {#- the table first, on its own: Spark runs one statement per call -#}
        {%- set create_table -%}
            create table if not exists {{ target.schema }}.data_test_results (
                invocation_id {{ dbt.type_string() }},
                run_started_at {{ segscope_type_timestamp_tz() }},
                unique_id {{ dbt.type_string() }},
                test_name {{ dbt.type_string() }},
                resource_type {{ dbt.type_string() }},
                tested_model {{ dbt.type_string() }},
                column_name {{ dbt.type_string() }},
                severity {{ dbt.type_string() }},
                status {{ dbt.type_string() }},
                failures bigint,
                message {{ dbt.type_string() }}
            ) {{ segscope_table_format() }}
        {%- endset -%}
        {%- do run_query(create_table) -%}
        insert into {{ target.schema }}.data_test_results values
        {{ rows | join(',\n') }}
    {%- endif -%}
{% endmacro %}
