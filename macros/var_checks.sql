{#-
    Every var that reaches SQL is checked while dbt parses the project, before any statement
    runs: an identifier must be a plain SQL name, a literal must parse as its type, a choice must
    be one of its values. dbt quotes identifiers without escaping a quote inside them, so these
    rules, not quoting, keep a var from becoming SQL.
-#}

{% macro segscope_var_rules() %}
    {#- var -> (rule, options); see segscope_var_problem for what each rule accepts -#}
    {{ return({
        'segscope_source_schema': ('identifier', {}),
        'segscope_events_table': ('identifier', {}),
        'segscope_users_table': ('identifier', {'nullable': true}),
        'segscope_items_table': ('identifier', {'nullable': true}),
        'segscope_events_columns': ('columns', {'entity': 'events'}),
        'segscope_users_columns': ('columns', {'entity': 'users'}),
        'segscope_items_columns': ('columns', {'entity': 'items'}),
        'segscope_user_attributes': ('attributes', {}),
        'segscope_user_key_type': ('choice', {'values': ['bigint', 'integer', 'string', 'varchar']}),
        'segscope_window_mode': ('choice', {'values': ['days_after_signup', 'fixed']}),
        'segscope_window_days': ('number', {'low': 0, 'low_open': true, 'high': 3660}),
        'segscope_window_start': ('timestamp', {'nullable': true}),
        'segscope_window_cutoff': ('timestamp', {'nullable': true}),
        'segscope_as_of': ('timestamp', {'nullable': true}),
        'segscope_session_gap_minutes': ('number', {'low': 0, 'low_open': true, 'high': 527040}),
        'segscope_orphan_share_warn': ('number', {'low': 0, 'high': 1}),
        'segscope_orphan_share_error': ('number', {'low': 0, 'high': 1}),
        'segscope_max_hours_before_signup': ('number', {'low': 0, 'high': 87840}),
        'segscope_future_tolerance_hours': ('number', {'low': 0, 'high': 87840}),
        'segscope_value_max_abs': ('number', {'low': 0, 'low_open': true, 'high': 1.0e+300}),
        'segscope_value_label': ('text', {}),
        'segscope_items_top_n': ('number', {'low': 1, 'high': 1000000, 'integer': true}),
        'segscope_items_min_users': ('number', {'low': 1, 'high': 1000000000, 'integer': true}),
        'segscope_items_min_lift': ('number', {'low': 1, 'high': 1000000}),
        'segscope_event_types': ('event_names', {'auto': true}),
        'segscope_event_types_top_k': ('number', {'low': 1, 'high': 1000, 'integer': true}),
        'segscope_event_types_min_user_share': ('number', {'low': 0, 'high': 1}),
        'segscope_event_types_allow': ('event_names', {'nullable': true}),
        'segscope_event_types_deny': ('event_names', {}),
        'segscope_event_type_measures': ('subset', {'values': ['count', 'share', 'value']}),
        'segscope_item_category_separator': ('text', {'nullable': true}),
        'segscope_item_categories_top_k': ('number', {'low': 1, 'high': 1000, 'integer': true}),
        'segscope_item_categories_min_user_share': ('number', {'low': 0, 'high': 1}),
        'segscope_segmentation_features': ('relation', {}),
        'segscope_mode': ('choice', {'values': ['fit', 'apply']}),
        'segscope_segmentation': ('options', {}),
        'segscope_explanation': ('options', {}),
        'segscope_stability': ('options', {}),
        'segscope_min_surrogate_f1': ('number', {'low': 0, 'high': 1}),
        'segscope_drift_psi_warn': ('number', {'low': 0, 'high': 1000}),
        'segscope_drift_share_warn': ('number', {'low': 0, 'high': 1}),
        'segscope_drift_min_week_users': ('number', {'low': 0, 'high': 1000000000, 'integer': true}),
        'segscope_export': ('boolean', {}),
        'segscope_export_dir': ('text', {'nullable': true}),
        'segscope_analysis_segment_id': ('token', {'nullable': true}),
        'segscope_analysis_n_key_features': ('number', {'low': 1, 'high': 10000, 'integer': true}),
        'segscope_analysis_from_version': ('token', {'nullable': true}),
        'segscope_analysis_to_version': ('token', {'nullable': true}),
    }) }}
{% endmacro %}


{% macro segscope_check_vars() %}
    {#- Raises naming every var that breaks its rule; called while the staging models parse. -#}
    {%- set problems = [] -%}
    {%- for name in segscope_var_rules() -%}
        {%- set problem = segscope_var_problem(name, var(name)) -%}
        {%- if problem is not none -%}
            {%- do problems.append(problem) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "segscope vars: nothing ran.\n  " ~ problems | join("\n  ")) }}
    {%- endif -%}
{% endmacro %}


{% macro segscope_check_var_values(cases) %}
    {#-
        `dbt run-operation segscope_check_var_values --args '{cases: [[var, value], ...]}'`:
        what the checks say of each value, one JSON line (null: accepted), without running SQL.
    -#}
    {%- set verdicts = [] -%}
    {%- for name, value in cases -%}
        {%- do verdicts.append(segscope_var_problem(name, value)) -%}
    {%- endfor -%}
    {%- do print("segscope_var_verdicts " ~ tojson(verdicts)) -%}
{% endmacro %}


{% macro segscope_show(value) %}
    {#- the value as JSON (quotes and escapes visible), cut to 80 characters -#}
    {%- set shown = tojson(value) if (value is string or value is number or value is mapping
        or value is sequence or value is none or value is boolean) else none -%}
    {%- set shown = shown if shown is not none else (value | string) -%}
    {%- if shown | length > 80 -%}
        {{ return(shown[:80] ~ "... (" ~ shown | length ~ " characters)") }}
    {%- endif -%}
    {{ return(shown) }}
{% endmacro %}


{% macro segscope_identifier_problem(value) %}
    {#- none when `value` is a plain SQL name, else the rule it breaks -#}
    {%- if value is not string or modules.re.fullmatch('[A-Za-z_][A-Za-z0-9_]{0,127}', value) is none -%}
        {{ return("must be a plain SQL name: ^[A-Za-z_][A-Za-z0-9_]*$, at most 128 characters "
                  ~ "(letters, digits and underscores, not starting with a digit)") }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}


{% macro segscope_parse_timestamp(value) %}
    {#- A datetime for 'YYYY-MM-DD[ HH:MM[:SS[.ffffff]]]' (or a YAML date), else none. -#}
    {%- if value is not string and value.isoformat is defined -%}
        {%- set value = value.isoformat() -%}
    {%- endif -%}
    {%- if value is not string -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set match = modules.re.fullmatch(
        '([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]{1,6}))?)?)?',
        value) -%}
    {%- if match is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set parts = match.groups() -%}
    {%- set year, month, day = parts[0] | int, parts[1] | int, parts[2] | int -%}
    {%- set hour, minute, second = (parts[3] or 0) | int, (parts[4] or 0) | int, (parts[5] or 0) | int -%}
    {%- set micro = ((parts[6] or '') ~ '000000')[:6] | int -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 or hour > 23 or minute > 59
        or second > 59 -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set month_days = 31 if month == 12 else (modules.datetime.date(year, month + 1, 1)
        - modules.datetime.timedelta(days=1)).day -%}
    {%- if day > month_days -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(modules.datetime.datetime(year, month, day, hour, minute, second, micro)) }}
{% endmacro %}


{% macro segscope_timestamp_literal(name) %}
    {#- var `name` as a SQL timestamp: the parsed value written back, never the text as given -#}
    {%- set parsed = segscope_parse_timestamp(var(name)) -%}
    {%- if parsed is none -%}
        {%- do segscope_check_vars() -%}
        {{ exceptions.raise_compiler_error(segscope_var_problem(name, var(name))) }}
    {%- endif -%}
    {{ return("cast('" ~ parsed.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as "
              ~ dbt.type_timestamp() ~ ")") }}
{% endmacro %}


{% macro segscope_var_problem(name, value) %}
    {#- none when var `name` may take `value`, else a message naming the var, value and rule -#}
    {%- set rules = segscope_var_rules() -%}
    {%- if name not in rules -%}
        {{ return("var " ~ name ~ ": no such checked var") }}
    {%- endif -%}
    {%- set rule, options = rules[name] -%}
    {%- set broken = [] -%}
    {%- if value is none and options.get('nullable') -%}
    {%- elif value is none and rule in ('identifier', 'relation', 'choice', 'number', 'timestamp',
        'boolean', 'columns') -%}
        {%- do broken.append("is required (null is not allowed)") -%}
    {%- elif rule == 'identifier' -%}
        {%- do broken.append(segscope_identifier_problem(value)) -%}
    {%- elif rule == 'relation' -%}
        {%- set parts = value.split('.') if value is string else [none] -%}
        {%- for part in parts if parts | length > 2 or segscope_identifier_problem(part) is not none -%}
            {%- if loop.first -%}
                {%- do broken.append("must be a model name or schema.table, each part a plain SQL "
                    ~ "name: ^[A-Za-z_][A-Za-z0-9_]*$, at most 128 characters") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- elif rule == 'choice' -%}
        {%- if value is not string or value not in options['values'] -%}
            {%- do broken.append("must be one of " ~ options['values'] | join(', ')) -%}
        {%- endif -%}
    {%- elif rule == 'number' -%}
        {%- set low, high = options['low'], options['high'] -%}
        {%- set bounds = ("> " if options.get('low_open') else ">= ") ~ low ~ " and <= " ~ high -%}
        {%- set kind = "a whole number" if options.get('integer') else "a number" -%}
        {%- if value is not number or value is boolean or value != value or value - value != 0
            or value < low or (options.get('low_open') and value == low) or value > high
            or (options.get('integer') and value != value | int) -%}
            {%- do broken.append("must be " ~ kind ~ " " ~ bounds) -%}
        {%- endif -%}
    {%- elif rule == 'timestamp' -%}
        {%- if segscope_parse_timestamp(value) is none -%}
            {%- do broken.append("must be a date or timestamp, 'YYYY-MM-DD' or "
                ~ "'YYYY-MM-DD HH:MM[:SS[.ffffff]]', that exists on the calendar") -%}
        {%- endif -%}
    {%- elif rule == 'boolean' -%}
        {%- if value is not boolean -%}
            {%- do broken.append("must be true or false") -%}
        {%- endif -%}
    {%- elif rule == 'text' -%}
        {%- if value is not string or value | length == 0 or '\x00' in value -%}
            {%- do broken.append("must be a non-empty text without NUL characters") -%}
        {%- endif -%}
    {%- elif rule == 'subset' -%}
        {%- if value is string or value is mapping or value is not iterable
            or value | reject('in', options['values']) | list -%}
            {%- do broken.append("must be a list of some of " ~ options['values'] | join(', ')) -%}
        {%- endif -%}
    {%- elif rule == 'event_names' -%}
        {%- if value is string and options.get('auto') and value == 'auto' -%}
        {%- elif value is string or value is mapping or value is not iterable -%}
            {%- do broken.append("must be a list of event names"
                ~ (" or auto" if options.get('auto') else "")) -%}
        {%- else -%}
            {%- for item in value if not (item is string and item | length > 0 and '\x00' not in item) -%}
                {%- if loop.first -%}
                    {%- do broken.append("must list event names as non-empty texts without NUL "
                        ~ "characters (got " ~ segscope_show(item) ~ ")") -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if value | length != value | unique | list | length -%}
                {%- do broken.append("lists an event name more than once") -%}
            {%- endif -%}
        {%- endif -%}
    {%- elif rule == 'token' -%}
        {%- if not ((value is number and value is not boolean and value == value | int)
            or (value is string and modules.re.fullmatch('[A-Za-z0-9_.]{1,128}', value))) -%}
            {%- do broken.append("must be an id: letters, digits, _ and . only, at most 128 "
                ~ "characters") -%}
        {%- endif -%}
    {%- elif rule in ('columns', 'attributes', 'options') -%}
        {%- if value is none -%}
        {%- elif value is not mapping -%}
            {%- do broken.append("must be a mapping") -%}
        {%- else -%}
            {%- set roles = segscope_roles(options['entity']) if rule == 'columns' else none -%}
            {%- for key, item in value.items() -%}
                {%- if roles is not none and key not in roles -%}
                    {%- do broken.append("has unknown role " ~ segscope_show(key) ~ "; the roles are "
                        ~ roles.keys() | list | join(', ')) -%}
                {%- elif roles is none and segscope_identifier_problem(key) is not none -%}
                    {%- do broken.append("key " ~ segscope_show(key) ~ " "
                        ~ segscope_identifier_problem(key)) -%}
                {%- elif rule == 'options' -%}
                    {%- if not (item is none or item is boolean or item is string
                        or (item is number and item == item and item - item == 0)) -%}
                        {%- do broken.append(key ~ ": got " ~ segscope_show(item)
                            ~ ", but an option must be a finite number, a text, true/false or null") -%}
                    {%- elif item is string and modules.re.fullmatch('[A-Za-z0-9_.:-]{0,128}', item) is none -%}
                        {%- do broken.append(key ~ ": got " ~ segscope_show(item) ~ ", but a text "
                            ~ "option must be letters, digits and _ . : - only") -%}
                    {%- endif -%}
                {%- elif item is not none and segscope_identifier_problem(item) is not none -%}
                    {%- do broken.append(key ~ ": got " ~ segscope_show(item) ~ ", which "
                        ~ segscope_identifier_problem(item)) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
    {%- set broken = broken | reject('none') | list -%}
    {%- if broken -%}
        {{ return("var " ~ name ~ ": got " ~ segscope_show(value) ~ ", which " ~ broken | join('; ')
                  ~ ".") }}
    {%- endif -%}
    {{ return(none) }}
{% endmacro %}
