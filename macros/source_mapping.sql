{#-
    The source mapping: which raw columns play which role. Staging models read raw tables only
    through these macros, so pointing segscope at another events table is a matter of vars.
-#}

{% macro segscope_roles(entity) %}
    {#- role -> (required, type family) for each raw table -#}
    {%- if entity == 'events' -%}
        {{ return({
            'event_id': (false, 'any'),
            'user_id': (true, 'key'),
            'occurred_at': (true, 'timestamp'),
            'event_name': (true, 'string'),
            'item_id': (false, 'any'),
            'value': (false, 'number'),
        }) }}
    {%- elif entity == 'items' -%}
        {{ return({
            'item_id': (true, 'any'),
            'item_label': (true, 'any'),
            'item_category': (false, 'string'),
        }) }}
    {%- else -%}
        {{ return({
            'user_id': (true, 'key'),
            'signed_up_at': (false, 'timestamp'),
        }) }}
    {%- endif -%}
{% endmacro %}


{% macro segscope_mapping(entity) %}
    {{ return(var('segscope_' ~ entity ~ '_columns')) }}
{% endmacro %}


{% macro segscope_mapped_column(entity, role, cast_to=none) %}
    {#- The raw column playing `role`, cast when asked; a typed null when the role is unmapped. -#}
    {{ return(segscope_column_or_null(segscope_mapping(entity).get(role), cast_to)) }}
{% endmacro %}


{% macro segscope_column_or_null(column, cast_to=none) %}
    {%- if column is none -%}
        cast(null as {{ cast_to or dbt.type_string() }})
    {%- elif cast_to is none -%}
        {{ adapter.quote(column) }}
    {%- else -%}
        cast({{ adapter.quote(column) }} as {{ cast_to }})
    {%- endif -%}
{% endmacro %}


{% macro segscope_type_family(data_type) %}
    {%- set t = data_type | upper -%}
    {%- if t.startswith('TIMESTAMP') or t == 'DATE' -%}
        {{ return('timestamp') }}
    {%- elif t in ('TINYINT', 'SMALLINT', 'INTEGER', 'INT', 'BIGINT', 'HUGEINT', 'UTINYINT',
                   'USMALLINT', 'UINTEGER', 'UBIGINT', 'UHUGEINT', 'LONG', 'SHORT', 'BYTE') -%}
        {{ return('integer') }}
    {%- elif t.startswith('VARCHAR') or t in ('STRING', 'TEXT', 'UUID') or t.startswith('CHAR') -%}
        {{ return('string') }}
    {%- elif t in ('DOUBLE', 'FLOAT', 'REAL') or t.startswith('DECIMAL') or t.startswith('NUMERIC') -%}
        {{ return('float') }}
    {%- else -%}
        {{ return('other') }}
    {%- endif -%}
{% endmacro %}


{% macro segscope_type_fits(family, required) %}
    {%- if required == 'any' -%}
        {{ return(true) }}
    {%- elif required == 'key' -%}
        {{ return(family in ('integer', 'string')) }}
    {%- elif required == 'number' -%}
        {{ return(family in ('integer', 'float')) }}
    {%- else -%}
        {{ return(family == required) }}
    {%- endif -%}
{% endmacro %}


{% macro segscope_check_source_mapping(entity) %}
    {#-
        Fails the staging model at once, before any data is read, when the vars name a table or a
        column that is not there, or a column whose type cannot play its role.
    -#}
    {%- if execute -%}
        {%- set table_var = 'segscope_' ~ entity ~ '_table' -%}
        {%- set columns_var = 'segscope_' ~ entity ~ '_columns' -%}
        {%- set relation = source('product', entity) -%}
        {%- set existing = load_relation(relation) -%}
        {%- if existing is none -%}
            {{ exceptions.raise_compiler_error(
                "segscope source mapping: table " ~ relation ~ " (var " ~ table_var ~ " in schema var "
                ~ "segscope_source_schema) does not exist.") }}
        {%- endif -%}
        {%- set found = {} -%}
        {%- for column in adapter.get_columns_in_relation(existing) -%}
            {%- do found.update({column.name | lower: column}) -%}
        {%- endfor -%}
        {%- set roles = segscope_roles(entity) -%}
        {%- set mapping = segscope_mapping(entity) -%}
        {%- for role in mapping if role not in roles -%}
            {{ exceptions.raise_compiler_error(
                "segscope source mapping: var " ~ columns_var ~ " has unknown role '" ~ role
                ~ "'; the roles are " ~ roles.keys() | list | join(', ') ~ ".") }}
        {%- endfor -%}
        {%- for role, spec in roles.items() -%}
            {%- set required, expected = spec -%}
            {%- set column = mapping.get(role) -%}
            {%- if column is none and required -%}
                {{ exceptions.raise_compiler_error(
                    "segscope source mapping: var " ~ columns_var ~ "." ~ role
                    ~ " is required (table " ~ relation ~ ").") }}
            {%- elif column is not none and (column | lower) not in found -%}
                {{ exceptions.raise_compiler_error(
                    "segscope source mapping: table " ~ relation ~ " has no column '" ~ column
                    ~ "' (var " ~ columns_var ~ "." ~ role ~ "); its columns are "
                    ~ found.keys() | list | join(', ') ~ ".") }}
            {%- elif column is not none -%}
                {%- set data_type = found[column | lower].dtype -%}
                {%- if not segscope_type_fits(segscope_type_family(data_type), expected) -%}
                    {{ exceptions.raise_compiler_error(
                        "segscope source mapping: column " ~ relation ~ "." ~ column ~ " (var "
                        ~ columns_var ~ "." ~ role ~ ") is " ~ data_type ~ ", but the role "
                        ~ role ~ " needs a " ~ expected ~ " column.") }}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if entity == 'users' -%}
            {%- for attribute, column in var('segscope_user_attributes').items()
                if column is not none and (column | lower) not in found -%}
                {{ exceptions.raise_compiler_error(
                    "segscope source mapping: table " ~ relation ~ " has no column '" ~ column
                    ~ "' (var segscope_user_attributes." ~ attribute ~ "); its columns are "
                    ~ found.keys() | list | join(', ') ~ ".") }}
            {%- endfor -%}
        {%- endif -%}
    {%- endif -%}
{% endmacro %}


{% macro segscope_mapped_source_columns(upstream_names) %}
    {#-
        (var, role, raw column) for every mapped column of the raw tables among upstream_names
        (the names of a model's upstream resources): what the model's data really comes from.
    -#}
    {%- set found = [] -%}
    {%- for entity in ('events', 'users', 'items') if entity in upstream_names -%}
        {%- set columns_var = 'segscope_' ~ entity ~ '_columns' -%}
        {%- for role, column in segscope_mapping(entity).items() if column is not none -%}
            {%- do found.append((columns_var, role, column)) -%}
        {%- endfor -%}
        {%- if entity == 'users' and var('segscope_users_table') is not none -%}
            {%- for attribute, column in var('segscope_user_attributes').items()
                if column is not none -%}
                {%- do found.append(('segscope_user_attributes', attribute, column)) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(found) }}
{% endmacro %}
