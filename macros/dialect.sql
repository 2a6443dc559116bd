{#-
    What DuckDB and Spark SQL spell differently. The default is DuckDB's spelling; spark__
    variants keep the result the same on Spark.
-#}

{% macro segscope_sql_string(value) -%}
    {#- a text literal (null for none) -#}
    {{ return(adapter.dispatch('segscope_sql_string')(value)) }}
{%- endmacro %}

{% macro default__segscope_sql_string(value) -%}
    {%- if value is none -%}null{%- else -%}'{{ (value | string).replace("'", "''") }}'{%- endif -%}
{%- endmacro %}

{% macro spark__segscope_sql_string(value) -%}
    {#- a backslash starts an escape in Spark literals, and Spark 3 reads '' as two literals -#}
    {%- if value is none -%}
        null
    {%- else -%}
        '{{ (value | string).replace("\\", "\\\\").replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}


{% macro segscope_string_agg(measure, delimiter, order_by) %}
    {#- the measure's values joined by delimiter, in order_by order -#}
    {{ return(adapter.dispatch('segscope_string_agg')(measure, delimiter, order_by)) }}
{% endmacro %}

{% macro default__segscope_string_agg(measure, delimiter, order_by) %}
    string_agg({{ measure }}, {{ delimiter }} order by {{ order_by }})
{% endmacro %}

{% macro spark__segscope_string_agg(measure, delimiter, order_by) %}
    {#- collect_list has no order (and dbt.listagg drops order_by on Spark): sort (key, value)
        pairs; listagg .. within group is Spark 4 only -#}
    array_join(
        transform(
            array_sort(collect_list(struct({{ order_by }} as sort_key, {{ measure }} as item))),
            pair -> pair.item
        ),
        {{ delimiter }}
    )
{% endmacro %}


{% macro segscope_distinct_quantiles(measure, quantiles) %}
    {#- the measure's quantiles (interpolated), duplicates dropped, as a list -#}
    {{ return(adapter.dispatch('segscope_distinct_quantiles')(measure, quantiles)) }}
{% endmacro %}

{% macro default__segscope_distinct_quantiles(measure, quantiles) %}
    list_distinct(quantile_cont({{ measure }}, [{{ quantiles | join(', ') }}]))
{% endmacro %}

{% macro spark__segscope_distinct_quantiles(measure, quantiles) %}
    {#- percentile is exact and interpolates like quantile_cont -#}
    array_distinct(percentile({{ measure }}, array({{ quantiles | join(', ') }})))
{% endmacro %}


{% macro segscope_count_below(list, value) %}
    {#- how many elements of list are below value (null for a null list) -#}
    {{ return(adapter.dispatch('segscope_count_below')(list, value)) }}
{% endmacro %}

{% macro default__segscope_count_below(list, value) %}
    len(list_filter({{ list }}, lambda element: element < {{ value }}))
{% endmacro %}

{% macro spark__segscope_count_below(list, value) %}
    {#- array_size, not size: size(null) is -1 unless ANSI mode is on -#}
    array_size(filter({{ list }}, element -> element < {{ value }}))
{% endmacro %}


{% macro segscope_type_timestamp_tz() %}
    {#- a point in time: Spark's timestamp is the one with a time zone -#}
    {{ return(adapter.dispatch('segscope_type_timestamp_tz')()) }}
{% endmacro %}

{% macro default__segscope_type_timestamp_tz() %}timestamptz{% endmacro %}

{% macro spark__segscope_type_timestamp_tz() %}timestamp{% endmacro %}


{% macro segscope_table_format() %}
    {#- the storage of a table dbt does not build (Parquet like the models: Delta needs jars) -#}
    {{ return(adapter.dispatch('segscope_table_format')()) }}
{% endmacro %}

{% macro default__segscope_table_format() %}{% endmacro %}

{% macro spark__segscope_table_format() %}using parquet{% endmacro %}


{% macro segscope_identifier_stem(text) %}
    {#- text as a lower-case SQL name part: runs of anything but a-z and 0-9 become one _, no _
        at either end, at most 48 characters (empty when nothing is left) -#}
    {{ return(adapter.dispatch('segscope_identifier_stem')(text)) }}
{% endmacro %}

{% macro default__segscope_identifier_stem(text) %}
    substring(regexp_replace(regexp_replace(lower({{ text }}), '[^a-z0-9]+', '_', 'g'),
        '^_+|_+$', '', 'g'), 1, 48)
{% endmacro %}

{% macro spark__segscope_identifier_stem(text) %}
    substring(regexp_replace(regexp_replace(lower({{ text }}), '[^a-z0-9]+', '_'),
        '^_+|_+$', ''), 1, 48)
{% endmacro %}


{% macro segscope_split_values(column, separator) %}
    {#- a select-list entry giving one row per separator-split part of column (the column
        itself when separator is none) -#}
    {{ return(adapter.dispatch('segscope_split_values')(column, separator)) }}
{% endmacro %}

{% macro default__segscope_split_values(column, separator) %}
    {%- if separator is none -%}
        {{ column }}
    {%- else -%}
        unnest(string_split({{ column }}, {{ segscope_sql_string(separator) }}))
    {%- endif -%}
{% endmacro %}

{% macro spark__segscope_split_values(column, separator) %}
    {#- split takes a regular expression: the separator is quoted as a literal -#}
    {%- if separator is none -%}
        {{ column }}
    {%- else -%}
        explode(split({{ column }}, {{ segscope_sql_string('\\Q' ~ separator ~ '\\E') }}))
    {%- endif -%}
{% endmacro %}
