-- What the segmentation fits on: user_features by default, or any one-row-per-user table
-- (var segscope_segmentation_features: a model name, or schema.table for a table dbt does not build).
{%- set features = var('segscope_segmentation_features') %}

select * from {{ ref(features) if '.' not in features else features }}
