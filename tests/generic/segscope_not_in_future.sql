{#- Gate: no timestamp later than now plus a tolerance (a broken clock or a unit mix-up). -#}
{% test segscope_not_in_future(model, column_name, tolerance_hours=1) %}

select {{ column_name }} as future_timestamp
from {{ model }}
where {{ column_name }} > {{ dbt.dateadd('hour', tolerance_hours, dbt.current_timestamp()) }}

{% endtest %}
