{#-
    Gate: every non-null value is a finite number within [-max_abs, max_abs]. NaN sorts above
    every number and infinity beyond any bound, so one comparison catches both.
-#}
{% test segscope_finite_within(model, column_name, max_abs, role) %}

select
    cast({{ column_name }} as {{ dbt.type_string() }}) as bad_value,
    count(*) as n_rows,
    '{{ role }} must be a finite number with absolute value at most {{ max_abs }} (in the '
    || 'raw column''s own unit; var segscope_value_max_abs)' as rule
from {{ model }}
where
    {{ column_name }} is not null
    and not ({{ column_name }} >= -{{ max_abs }} and {{ column_name }} <= {{ max_abs }})
group by 1

{% endtest %}
