{#-
    dbt-spark's seed insert binds values with `sql % values` in session mode, unescaped: an
    apostrophe in a seed ("today's") breaks the statement, and an empty cell becomes the text
    'None'. This is its spark__load_csv_rows with the values written as escaped literals.
-#}

{% macro spark__load_csv_rows(model, agate_table) %}

    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}

    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ segscope_seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}

        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}

        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}

    {#- the first batch goes to the compiled files -#}
    {{ return(statements[0]) }}

{% endmacro %}


{% macro segscope_seed_literal(value) -%}
    {#- a seed cell as SQL: agate gives none, booleans, decimals, dates or text -#}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ value | string | lower }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        {{ segscope_sql_string(value | string) }}
    {%- endif -%}
{%- endmacro %}
