{#-
    dbt-spark's table materialization drops the old table before it builds the new one (unless
    Delta or Iceberg, which this offline project cannot use): a model that fails then leaves no
    table, and a Python model cannot read its own previous table (apply mode). This one builds
    into <name>__dbt_tmp and swaps it in only once it is complete.
-#}
{% materialization table, adapter='spark', supported_languages=['sql', 'python'] %}
    {%- set language = model['language'] -%}
    {%- set identifier = model['alias'] -%}
    {%- set grant_config = config.get('grants') -%}
    {%- set old_relation = adapter.get_relation(
        database=database, schema=schema, identifier=identifier) -%}
    {%- set target_relation = api.Relation.create(
        identifier=identifier, schema=schema, database=database, type='table') -%}
    {%- set intermediate_relation = api.Relation.create(
        identifier=identifier ~ '__dbt_tmp', schema=schema, database=database, type='table') -%}

    {{ run_hooks(pre_hooks) }}

    {% do adapter.drop_relation(intermediate_relation) %}
    {%- call statement('main', language=language) -%}
        {{ create_table_as(False, intermediate_relation, compiled_code, language) }}
    {%- endcall -%}

    {% if old_relation is not none %}
        {% do adapter.drop_relation(old_relation) %}
    {% endif %}
    {% do adapter.rename_relation(intermediate_relation, target_relation) %}

    {% set should_revoke = should_revoke(old_relation, full_refresh_mode=True) %}
    {% do apply_grants(target_relation, grant_config, should_revoke) %}
    {% do persist_docs(target_relation, model) %}
    {% do persist_constraints(target_relation, model) %}

    {{ run_hooks(post_hooks) }}

    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
