-- All-or-nothing publication. On DuckDB the marts (user_features among them) and every model
-- after them (segmentation, operations, the export summary) build in a schema of their own
-- (dbt_project.yml: <target schema>_unpublished), where their tests check them. When a run
-- ends with every node passed, this hook copies all of them into the target schema, the one BI
-- reads, in one transaction; a failed or skipped node publishes nothing, so BI keeps the
-- previous build's tables, all of one model version. Called from on-run-end.
{% macro segscope_publish(results) %}
    {%- if not execute or target.type != 'duckdb' or flags.WHICH not in ('build', 'run') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set unpublished = segscope_unpublished_models() -%}
    {%- set built = [] -%}
    {%- set failed = [] -%}
    {%- for result in results -%}
        {%- if (result.status | string) in ('error', 'fail', 'runtime error', 'skipped') -%}
            {%- do failed.append(result.node.name) -%}
        {%- elif result.node.unique_id in unpublished -%}
            {%- do built.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not built -%}
        {{ return('') }}
    {%- endif -%}
    {%- if failed -%}
        {{ log("segscope: nothing published: " ~ failed | length ~ " node(s) failed or were "
               ~ "skipped (" ~ failed[:5] | join(', ') ~ "); BI still reads the previous "
               ~ "build's tables in schema " ~ target.schema, info=true) }}
        {{ return('') }}
    {%- endif -%}
    {%- set tables = segscope_unpublished_tables(unpublished) -%}
    {%- do segscope_check_one_model_version(tables) -%}
    {%- set statements = ['begin transaction'] -%}
    {%- for table in tables -%}
        {%- do statements.append("create or replace table " ~ segscope_published(table)
                                 ~ " as select * from " ~ segscope_unpublished(table)) -%}
    {%- endfor -%}
    {%- do statements.extend(segscope_copied_comments(tables)) -%}
    {%- do statements.append('commit') -%}
    {%- call statement('segscope_publish', auto_begin=false) -%}
        {{ statements | join(';\n') }}
    {%- endcall -%}
    {{ log("segscope: published " ~ tables | length ~ " tables to schema " ~ target.schema,
           info=true) }}
    {{ return('') }}
{% endmacro %}


-- unique_id -> node of every enabled table or incremental model built outside the target schema
{% macro segscope_unpublished_models() %}
    {%- set models = {} -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- if node.schema != target.schema
              and node.config.materialized in ('table', 'incremental') -%}
            {%- do models.update({node.unique_id: node}) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(models) }}
{% endmacro %}


-- the unpublished models that exist as tables (a model never built yet has none), by name
{% macro segscope_unpublished_tables(models) %}
    {%- set existing = run_query(
        "select schema_name || '.' || table_name from duckdb_tables() where database_name = "
        ~ segscope_sql_string(target.database)).columns[0].values() -%}
    {%- set tables = [] -%}
    {%- for node in models.values() | sort(attribute='alias')
            if node.schema ~ '.' ~ node.alias in existing -%}
        {%- do tables.append(node) -%}
    {%- endfor -%}
    {{ return(tables) }}
{% endmacro %}


-- Refuses to publish tables of several fits: what is unpublished mixes model versions when an
-- earlier build failed half way and this one rebuilt only part of the tree. Tables that keep
-- every version's rows (incremental models) are not compared.
{% macro segscope_check_one_model_version(tables) %}
    {%- set parts = [] -%}
    {%- for node in tables if node.config.materialized != 'incremental'
            and segscope_has_column(node, 'model_version') -%}
        {%- do parts.append("select distinct " ~ segscope_sql_string(node.alias)
            ~ " as table_name, model_version from " ~ segscope_unpublished(node)
            ~ " where model_version is not null") -%}
    {%- endfor -%}
    {%- if not parts -%}
        {{ return('') }}
    {%- endif -%}
    {%- set found = run_query("select model_version, string_agg(table_name, ', ' order by "
        ~ "table_name) from (" ~ parts | join(' union all ') ~ ") group by model_version "
        ~ "order by model_version") -%}
    {%- if found.rows | length > 1 -%}
        {%- set listed = [] -%}
        {%- for row in found.rows -%}
            {%- do listed.append(row[0] ~ " in " ~ row[1]) -%}
        {%- endfor -%}
        {{ exceptions.raise_compiler_error(
            "segscope: nothing published: the unpublished tables hold more than one model "
            ~ "version (" ~ listed | join('; ') ~ "), because an earlier build stopped half way "
            ~ "and this one rebuilt part of them. Run a whole `dbt build`; BI still reads the "
            ~ "previous tables in schema " ~ target.schema) }}
    {%- endif -%}
{% endmacro %}


{% macro segscope_has_column(node, column) %}
    {%- set found = run_query("select count(*) from duckdb_columns() where database_name = "
        ~ segscope_sql_string(node.database) ~ " and schema_name = "
        ~ segscope_sql_string(node.schema) ~ " and table_name = "
        ~ segscope_sql_string(node.alias) ~ " and column_name = "
        ~ segscope_sql_string(column)).columns[0].values()[0] -%}
    {{ return(found > 0) }}
{% endmacro %}


-- comment statements that give the published copies the descriptions dbt persisted on the
-- unpublished tables (create table as select keeps no comments)
{% macro segscope_copied_comments(tables) %}
    {%- set statements = [] -%}
    {%- for node in tables -%}
        {%- set of_table = " where database_name = " ~ segscope_sql_string(node.database)
            ~ " and schema_name = " ~ segscope_sql_string(node.schema) ~ " and table_name = "
            ~ segscope_sql_string(node.alias) ~ " and comment is not null" -%}
        {%- for row in run_query("select comment from duckdb_tables()" ~ of_table).rows -%}
            {%- do statements.append("comment on table " ~ segscope_published(node) ~ " is "
                                     ~ segscope_sql_string(row[0])) -%}
        {%- endfor -%}
        {%- for row in run_query("select column_name, comment from duckdb_columns()"
                                 ~ of_table).rows -%}
            {%- do statements.append("comment on column " ~ segscope_published(node) ~ "."
                                     ~ adapter.quote(row[0]) ~ " is "
                                     ~ segscope_sql_string(row[1])) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(statements) }}
{% endmacro %}


{% macro segscope_published(node) %}
    {{- return(adapter.quote(target.database) ~ "." ~ adapter.quote(target.schema) ~ "."
               ~ adapter.quote(node.alias)) -}}
{% endmacro %}


{% macro segscope_unpublished(node) %}
    {{- return(adapter.quote(node.database) ~ "." ~ adapter.quote(node.schema) ~ "."
               ~ adapter.quote(node.alias)) -}}
{% endmacro %}


-- a model's relation as BI reads it, in the target schema: for analyses, which should show what
-- was published, not what a failed build left unpublished ({{ segscope_as_published(ref('x')) }})
{% macro segscope_as_published(relation) %}
    {{- return(relation.incorporate(path={'schema': target.schema})) -}}
{% endmacro %}
