{#- The observation window: which events may describe a user. -#}

{% macro segscope_as_of(events_relation) %}
    {#- The data's horizon: var segscope_as_of, else the latest event in the data. -#}
    {%- if var('segscope_as_of') is not none -%}
        cast('{{ var("segscope_as_of") }}' as {{ dbt.type_timestamp() }})
    {%- else -%}
        (select max(occurred_at) from {{ events_relation }})
    {%- endif -%}
{% endmacro %}


{% macro segscope_window_bounds() %}
    {#- window_start and window_end select-list entries over a relation with signed_up_at -#}
    {%- set mode = var('segscope_window_mode') -%}
    {%- if mode == 'days_after_signup' -%}
        {%- set days = var('segscope_window_days') -%}
        {%- if days is not number or days <= 0 -%}
            {{ exceptions.raise_compiler_error(
                "var segscope_window_days must be a positive number of days, got " ~ days) }}
        {%- endif -%}
        signed_up_at as window_start,
        {{ dbt.dateadd('day', days, 'signed_up_at') }} as window_end
    {%- elif mode == 'fixed' -%}
        {%- set start, cutoff = var('segscope_window_start'), var('segscope_window_cutoff') -%}
        {%- if start is none or cutoff is none or start >= cutoff -%}
            {{ exceptions.raise_compiler_error(
                "segscope_window_mode 'fixed' needs vars segscope_window_start < "
                ~ "segscope_window_cutoff, got " ~ start ~ " and " ~ cutoff) }}
        {%- endif -%}
        case
            when signed_up_at > cast('{{ start }}' as {{ dbt.type_timestamp() }}) then signed_up_at
            else cast('{{ start }}' as {{ dbt.type_timestamp() }})
        end as window_start,
        cast('{{ cutoff }}' as {{ dbt.type_timestamp() }}) as window_end
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var segscope_window_mode must be 'days_after_signup' or 'fixed', got '" ~ mode ~ "'") }}
    {%- endif -%}
{% endmacro %}
