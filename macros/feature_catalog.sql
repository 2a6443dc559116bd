{#-
    The feature catalog has two parts. The declared part is the column list of user_features in
    _marts__models.yml: each feature column carries meta.feature = {kind, transform, expression,
    default, source, hypothesis, raw}. The generated part comes from the user's own event names
    and item categories (int_event_types and int_item_categories select them;
    user_event_features computes them). Together they feed the
    SQL that computes the features, the feature_catalog table the Python models read, the
    profiles, and the leakage gate.
-#}

{% macro segscope_feature_catalog() %}
    {#- every feature: the declared ones, then the generated ones -#}
    {{ return(segscope_declared_features() + segscope_generated_features()) }}
{% endmacro %}


{% macro segscope_generated_features() %}
    {#- the features that follow the data: per selected event name, then per item category -#}
    {{ return(segscope_event_type_features() + segscope_item_category_features()) }}
{% endmacro %}


{% macro segscope_declared_features() %}
    {#- the graph is only there at execution; parsing needs just the refs -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set node = graph.nodes.values() | selectattr('name', 'equalto', 'user_features') | first -%}
    {%- set features = [] -%}
    {%- for column in node.columns.values() if column.meta.get('feature') -%}
        {%- set spec = column.meta.feature -%}
        {%- for key in ('kind', 'transform', 'expression', 'hypothesis') if not spec.get(key) -%}
            {{ exceptions.raise_compiler_error(
                "feature catalog (user_features in _marts__models.yml): feature '" ~ column.name
                ~ "' has no meta.feature." ~ key) }}
        {%- endfor -%}
        {%- do features.append({
            'name': column.name,
            'data_type': column.data_type,
            'description': column.description,
            'kind': spec.kind,
            'transform': spec.transform,
            'expression': spec.expression,
            'default': spec.default if spec.get('default') is not none else 'null',
            'source': spec.get('source', 'events'),
            'hypothesis': spec.hypothesis,
            'event_name': none,
            'raw': spec.get('raw'),
        }) -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}


{% macro segscope_event_type_features() %}
    {#- per selected event type (int_event_types, in its order) and measure
        (segscope_event_type_measures): how often (count), what share of the user's events
        (share), and where the value column carries amounts, their sums (value: positive and
        negative apart, so returns do not cancel purchases) -#}
    {%- set event_types = ref('int_event_types') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query(
        "select event_name, feature_stem, user_share, has_positive_value, has_negative_value from "
        ~ event_types ~ " where is_selected order by selection_rank") -%}
    {%- set measures = var('segscope_event_type_measures') -%}
    {%- set features = [] -%}
    {%- for event_name, stem, user_share, positive, negative in rows.rows -%}
        {%- set quoted = segscope_sql_string(event_name) -%}
        {%- set shown = "'" ~ event_name ~ "'" -%}
        {%- set where = "event_name = " ~ quoted -%}
        {%- set coverage = "%.1f" | format(user_share * 100) ~ "% of users have it" -%}
        {%- set common = {'source': 'event_types', 'event_name': event_name, 'default': '0',
                          'raw': none} -%}
        {%- if 'count' in measures -%}
        {%- do features.append(dict(common,
            name='n_' ~ stem, data_type='bigint', kind='count', transform='log1p',
            description="Events " ~ shown ~ " in the window.",
            expression="count(case when " ~ where ~ " then 1 end)",
            hypothesis="How often a user does " ~ shown ~ " (" ~ coverage
                ~ ") is one of the ways users of this product differ.")) -%}
        {%- endif -%}
        {%- if 'share' in measures -%}
        {%- do features.append(dict(common,
            name='share_' ~ stem, data_type='double', kind='share', transform='none',
            description="Share of the window's events that are " ~ shown ~ ".",
            expression="count(case when " ~ where ~ " then 1 end) * 1.0 / count(*)",
            hypothesis="The mix of what a user does tells apart users of the same volume: "
                ~ "how much of it is " ~ shown ~ ".")) -%}
        {%- endif -%}
        {%- if positive and 'value' in measures -%}
            {%- do features.append(dict(common,
                name='value_' ~ stem, data_type='double', kind='numeric', transform='log1p',
                description="Sum of the positive values of " ~ shown ~ " events.",
                expression="coalesce(sum(case when " ~ where
                    ~ " and event_value > 0 then event_value end), 0)",
                hypothesis="What the " ~ shown ~ " events carry (amounts, time), not just how "
                    ~ "many there are.")) -%}
        {%- endif -%}
        {%- if negative and 'value' in measures -%}
            {%- do features.append(dict(common,
                name='negative_value_' ~ stem, data_type='double', kind='numeric',
                transform='log1p',
                description="Sum of the negative values of " ~ shown ~ " events, as a positive "
                    ~ "number (returns, refunds).",
                expression="coalesce(sum(case when " ~ where
                    ~ " and event_value < 0 then -event_value end), 0)",
                hypothesis="Taking back (returns, refunds) is behaviour of its own, not less of "
                    ~ "the same.")) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}


{% macro segscope_item_category_features() %}
    {#- per selected item category (int_item_categories, in its order): the share of the user's
        item events whose item is in it -#}
    {%- set categories = ref('int_item_categories') -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set rows = run_query("select category, feature_stem, user_share from " ~ categories
        ~ " where is_selected order by selection_rank") -%}
    {%- set separator = var('segscope_item_category_separator') -%}
    {%- set features = [] -%}
    {%- for category, stem, user_share in rows.rows -%}
        {%- if separator is none -%}
            {%- set match = "item_category = " ~ segscope_sql_string(category) -%}
        {%- else -%}
            {%- set bounded = segscope_sql_string(separator) -%}
            {%- set match = "instr(" ~ bounded ~ " || item_category || " ~ bounded ~ ", "
                ~ segscope_sql_string(separator ~ category ~ separator) ~ ") > 0" -%}
        {%- endif -%}
        {%- set shown = "'" ~ category ~ "'" -%}
        {%- do features.append({
            'name': 'share_category_' ~ stem, 'data_type': 'double', 'kind': 'share',
            'transform': 'none', 'source': 'item_categories', 'event_name': none, 'raw': none,
            'default': '0',
            'description': "Share of the user's item events whose item is in category " ~ shown
                ~ " (0 without item events).",
            'expression': "avg(case when item_category is null then null when " ~ match
                ~ " then 1.0 else 0.0 end)",
            'hypothesis': "What a user's items are about (" ~ shown ~ ": "
                ~ "%.1f" | format(user_share * 100) ~ "% of users have it) says what they "
                ~ "came for, beyond how much they do.",
        }) -%}
    {%- endfor -%}
    {{ return(features) }}
{% endmacro %}


{% macro segscope_feature_rows(features) %}
    {#- one row per eligible user with the given features: aggregates over the user's windowed
        events (the default when there are none), or expressions over the user's attributes -#}
with

windows as (

    select * from {{ ref('int_users__observation_windows') }}

),

events as (

    select * from {{ ref('int_events__in_window') }}

),

event_aggregates as (

    select
        user_id
        {%- for feature in features if feature.source != 'user' %},
        {{ feature.expression }} as {{ feature.name }}
        {%- endfor %}
    from events
    group by user_id

),

-- users without a single event in their window are users too: they get the catalog defaults
final as (

    select
        cast(windows.user_id as {{ var('segscope_user_key_type') }}) as user_id
        {%- for feature in features %},
        {%- if feature.source != 'user' %}
        cast(coalesce(event_aggregates.{{ feature.name }}, {{ feature.default }})
            as {{ feature.data_type }}) as {{ feature.name }}
        {%- else %}
        cast({{ feature.expression }} as {{ feature.data_type }}) as {{ feature.name }}
        {%- endif %}
        {%- endfor %}
    from windows
    left join event_aggregates on windows.user_id = event_aggregates.user_id

)

select * from final
{% endmacro %}


{% macro segscope_all_feature_values(published=false) %}
    {#- a query with user_id and every catalog feature: the declared ones and the generated
        ones (with published, the tables BI reads, for analyses) -#}
    {%- set declared, generated = ref('user_features'), ref('user_event_features') -%}
    select *
    from {{ segscope_as_published(declared) if published else declared }}
    inner join {{ segscope_as_published(generated) if published else generated }} using (user_id)
{% endmacro %}
