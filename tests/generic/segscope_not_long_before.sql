{#-
    Gate: no row is more than max_hours before its key's reference time in `to` (events long
    before signup mean a reused key or a wrong clock; a little before is anonymous browsing).
-#}
{% test segscope_not_long_before(model, column_name, key, to, to_key, to_column, max_hours) %}

select
    rows_to_check.{{ key }} as offending_key,
    rows_to_check.{{ column_name }} as offending_time,
    reference.{{ to_column }} as reference_time
from {{ model }} as rows_to_check
inner join {{ to }} as reference on rows_to_check.{{ key }} = reference.{{ to_key }}
where
    rows_to_check.{{ column_name }}
    < {{ dbt.dateadd('hour', -1 * max_hours, 'reference.' ~ to_column) }}

{% endtest %}
