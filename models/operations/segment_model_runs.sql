-- Every fit, once: its version, what it was fitted on and with, and its headline figures, so a
-- refit can be compared with the ones before. Appended when a build brings a new version.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns',
        full_refresh=false,
    )
}}

with

fit as (

    select
        model_version,
        previous_model_version,
        fitted_at,
        n_users,
        params,
        config_hash,
        feature_hash,
        random_state,
        library_versions
    from {{ ref('segmentation_fit') }}

),

segments as (

    select * from {{ ref('segments') }}

),

fidelity as (

    select * from {{ ref('segment_fidelity') }}

),

stability as (

    select * from {{ ref('segment_stability') }}

),

selection as (

    select * from {{ ref('segment_model_selection') }}

),

tree_shape as (

    select
        count(*) as n_segments,
        count(case when is_leaf then 1 end) as n_leaves,
        count(case when depth = 1 then 1 end) as n_top_level_segments,
        max(depth) as max_depth
    from segments

),

top_split as (

    select
        max(case when is_chosen then quality end) as top_level_quality,
        max(null_quality) as top_level_null_quality
    from selection
    where node_segment_id = 'root'

),

surrogates as (

    select
        max(case when parent_segment_id is null then split_macro_f1 end)
            as top_level_macro_f1,
        min(surrogate_f1) as min_surrogate_f1
    from fidelity

),

checks as (

    select
        avg(bootstrap_jaccard) as mean_bootstrap_jaccard,
        count(case when stability_status = 'stable' then 1 end) as n_stable_segments
    from stability

),

final as (

    select
        cast(fit.model_version as string) as model_version,
        cast(fit.previous_model_version as string) as previous_model_version,
        cast(fit.fitted_at as timestamp) as fitted_at,
        cast(fit.config_hash as string) as config_hash,
        cast(fit.feature_hash as string) as feature_hash,
        cast(fit.random_state as bigint) as random_state,
        cast(fit.library_versions as string) as library_versions,
        cast(fit.params as string) as params,
        cast(fit.n_users as bigint) as n_users,
        cast(tree_shape.n_segments as bigint) as n_segments,
        cast(tree_shape.n_leaves as bigint) as n_leaves,
        cast(tree_shape.n_top_level_segments as bigint) as n_top_level_segments,
        cast(tree_shape.max_depth as integer) as max_depth,
        cast(top_split.top_level_quality as double) as top_level_quality,
        cast(top_split.top_level_null_quality as double) as top_level_null_quality,
        cast(surrogates.top_level_macro_f1 as double) as top_level_macro_f1,
        cast(surrogates.min_surrogate_f1 as double) as min_surrogate_f1,
        cast(checks.mean_bootstrap_jaccard as double) as mean_bootstrap_jaccard,
        cast(checks.n_stable_segments as bigint) as n_stable_segments
    from fit
    cross join tree_shape
    cross join top_split
    cross join surrogates
    cross join checks
    {% if is_incremental() %}
        where fit.model_version not in (select recorded.model_version from {{ this }} as recorded)
    {% endif %}

)

select * from final
