{#- Gate (as-of): every row's timestamp lies in its own [start, end) window. -#}
{% test segscope_within_window(model, column_name, start, end) %}

select
    {{ column_name }} as offending_time,
    {{ start }} as window_start,
    {{ end }} as window_end
from {{ model }}
where {{ column_name }} < {{ start }} or {{ column_name }} >= {{ end }}

{% endtest %}
