{#-
    Gate: a fit needs at least two children of min_child_size users (and the engine's 10 rows),
    or it would publish one segment in place of the last fit. Apply mode fits nothing.
-#}
{% test segscope_enough_users_to_fit(model, column_name) %}

{#- 50: the engine's default when segscope_segmentation leaves min_child_size out -#}
{%- set min_child_size = (var('segscope_segmentation') or {}).get('min_child_size', 50) -%}
{%- if min_child_size is not number or min_child_size is boolean -%}
    {{ exceptions.raise_compiler_error(
        "var segscope_segmentation.min_child_size must be a whole number, got "
        ~ segscope_show(min_child_size)) }}
{%- endif -%}
{%- set needed = [2 * min_child_size, 10] | max -%}

select
    count(distinct {{ column_name }}) as n_eligible_users,
    {{ needed }} as n_needed,
    'a fit needs at least {{ needed }} eligible users (2 x var segscope_segmentation.'
    || 'min_child_size = {{ min_child_size }}): lower min_child_size, or widen the window '
    || '(segscope_window_*, segscope_as_of)' as rule
from {{ model }}
having
    '{{ var("segscope_mode") }}' = 'fit'
    and count(distinct {{ column_name }}) < {{ needed }}

{% endtest %}
