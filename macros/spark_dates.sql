{#-
    dbt-spark's dateadd and datediff go through to_unix_timestamp, whole seconds: a window end
    loses its milliseconds, and datediff rounds a part-minute up. These keep DuckDB's results:
    dateadd exact to the microsecond, datediff counting unit boundaries crossed.
-#}

{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) %}
    timestampadd({{ datepart }}, {{ interval }}, {{ from_date_or_timestamp }})
{% endmacro %}

{% macro spark__datediff(first_date, second_date, datepart) %}
    {%- if datepart | lower in ('hour', 'minute', 'second', 'millisecond', 'microsecond') -%}
        timestampdiff(
            {{ datepart }},
            date_trunc('{{ datepart }}', {{ first_date }}),
            date_trunc('{{ datepart }}', {{ second_date }})
        )
    {%- else -%}
        {{ dbt.spark__datediff(first_date, second_date, datepart) }}
    {%- endif -%}
{% endmacro %}
