-- What the segmentation fits on: the catalog's features (user_features and
-- user_event_features) by default, or any one-row-per-user table (var
-- segscope_segmentation_features: a model name, or schema.table for a table dbt does not build).
{%- set features = var('segscope_segmentation_features') %}

{% if features == 'user_features' -%}
{{ segscope_all_feature_values() }}
{%- else -%}
select * from {{ ref(features) if '.' not in features else features }}
{%- endif %}
