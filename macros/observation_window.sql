{#- The observation window: which events may describe a user. -#}

{% macro segscope_as_of(events_relation) %}
    {#- The data's horizon: var segscope_as_of, else the latest event in the data. -#}
    {%- if var('segscope_as_of') is not none -%}
        {{ segscope_timestamp_literal('segscope_as_of') }}
    {%- else -%}
        (select max(occurred_at) from {{ events_relation }})
    {%- endif -%}
{% endmacro %}


{% macro segscope_window_bounds() %}
    {#- window_start and window_end select-list entries over a relation with signed_up_at -#}
    {%- do segscope_check_vars() -%}
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
        {%- if start is none or cutoff is none
            or segscope_parse_timestamp(start) >= segscope_parse_timestamp(cutoff) -%}
            {{ exceptions.raise_compiler_error(
                "segscope_window_mode 'fixed' needs vars segscope_window_start < "
                ~ "segscope_window_cutoff, got " ~ start ~ " and " ~ cutoff) }}
        {%- endif -%}
        {#- the same start for everybody: when a user joined is part of what the window shows -#}
        {{ segscope_timestamp_literal('segscope_window_start') }} as window_start,
        {{ segscope_timestamp_literal('segscope_window_cutoff') }} as window_end
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "var segscope_window_mode must be 'days_after_signup' or 'fixed', got '" ~ mode ~ "'") }}
    {%- endif -%}
{% endmacro %}
