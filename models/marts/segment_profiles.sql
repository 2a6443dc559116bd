-- Every segment of the tree against the population, feature by feature: mean, median,
-- quartiles and 5th/95th percentiles (a box plot's box and whiskers), lift and z-score for
-- numeric features; level shares for categorical ones.
-- noqa: disable=LT02
-- (LT02: the layout is the Jinja loops')
-- Published with the other segment tables or not at all: when the explainer or the stability
-- checks fail, every segment table stays at the previous fit.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}
{%- set features = segscope_feature_catalog() %}

with

assignments as (

    select * from {{ ref('segmentation_assignments') }}

),

nodes as (

    select * from {{ ref('segmentation_segments') }}

),

features as (

    {{ segscope_all_feature_values() }}

),

catalog as (

    select * from {{ ref('feature_catalog') }}

),

-- a user belongs to their leaf and to every ancestor of it
memberships as (

    select
        nodes.segment_id,
        assignments.user_id
    from assignments
    inner join nodes
        on
            assignments.segment_id = nodes.segment_id
            or assignments.segment_id like nodes.segment_id || '.%'

),

numeric_values as (

    {% for feature in features if feature.kind != 'categorical' -%}
    select
        user_id,
        '{{ feature.name }}' as feature_name,
        '{{ feature.kind }}' as kind,
        cast({{ feature.name }} as double) as feature_value
    from features
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

categorical_values as (

    {% for feature in features if feature.kind == 'categorical' -%}
    select
        user_id,
        '{{ feature.name }}' as feature_name,
        cast({{ feature.name }} as string) as level
    from features
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

population_numeric as (

    select
        feature_name,
        avg(feature_value) as population_mean,
        percentile_cont(0.5) within group (order by feature_value) as population_median,
        percentile_cont(0.05) within group (order by feature_value) as population_p05,
        percentile_cont(0.25) within group (order by feature_value) as population_p25,
        percentile_cont(0.75) within group (order by feature_value) as population_p75,
        percentile_cont(0.95) within group (order by feature_value) as population_p95,
        stddev_pop(feature_value) as population_stddev
    from numeric_values
    group by feature_name

),

segment_numeric as (

    select
        memberships.segment_id,
        numeric_values.feature_name,
        numeric_values.kind,
        count(*) as n_users,
        avg(numeric_values.feature_value) as segment_mean,
        percentile_cont(0.5) within group (order by numeric_values.feature_value) as segment_median,
        percentile_cont(0.25) within group (order by numeric_values.feature_value) as segment_p25,
        percentile_cont(0.75) within group (order by numeric_values.feature_value) as segment_p75,
        percentile_cont(0.05) within group (order by numeric_values.feature_value) as segment_p05,
        percentile_cont(0.95) within group (order by numeric_values.feature_value) as segment_p95
    from memberships
    inner join numeric_values on memberships.user_id = numeric_values.user_id
    group by memberships.segment_id, numeric_values.feature_name, numeric_values.kind

),

numeric_profiles as (

    select
        segment_numeric.segment_id,
        segment_numeric.feature_name,
        segment_numeric.kind,
        cast(null as string) as level,
        segment_numeric.n_users,
        segment_numeric.segment_mean,
        segment_numeric.segment_median,
        segment_numeric.segment_p25,
        segment_numeric.segment_p75,
        segment_numeric.segment_p05,
        segment_numeric.segment_p95,
        population_numeric.population_mean,
        population_numeric.population_median,
        population_numeric.population_p05,
        population_numeric.population_p25,
        population_numeric.population_p75,
        population_numeric.population_p95,
        segment_numeric.segment_mean / nullif(population_numeric.population_mean, 0) as lift,
        (segment_numeric.segment_mean - population_numeric.population_mean)
        / nullif(population_numeric.population_stddev, 0) as z_score
    from segment_numeric
    inner join population_numeric on segment_numeric.feature_name = population_numeric.feature_name

),

population_levels as (

    select
        feature_name,
        level,
        count(*) * 1.0 / (select count(distinct user_id) from features) as population_share
    from categorical_values
    group by feature_name, level

),

segment_levels as (

    select
        memberships.segment_id,
        categorical_values.feature_name,
        categorical_values.level,
        count(*) as n_users_with_level
    from memberships
    inner join categorical_values on memberships.user_id = categorical_values.user_id
    group by memberships.segment_id, categorical_values.feature_name, categorical_values.level

),

segment_sizes as (

    select
        segment_id,
        count(*) as n_users
    from memberships
    group by segment_id

),

-- a level's share in the segment against the population, standardized like a z-score
categorical_profiles as (

    select
        segment_levels.segment_id,
        segment_levels.feature_name,
        'categorical' as kind,
        segment_levels.level,
        segment_sizes.n_users,
        segment_levels.n_users_with_level * 1.0 / segment_sizes.n_users as segment_mean,
        cast(null as double) as segment_median,
        cast(null as double) as segment_p25,
        cast(null as double) as segment_p75,
        cast(null as double) as segment_p05,
        cast(null as double) as segment_p95,
        population_levels.population_share as population_mean,
        cast(null as double) as population_median,
        cast(null as double) as population_p05,
        cast(null as double) as population_p25,
        cast(null as double) as population_p75,
        cast(null as double) as population_p95,
        segment_levels.n_users_with_level * 1.0 / segment_sizes.n_users
        / nullif(population_levels.population_share, 0) as lift,
        (segment_levels.n_users_with_level * 1.0 / segment_sizes.n_users
            - population_levels.population_share)
        / nullif(sqrt(population_levels.population_share
            * (1 - population_levels.population_share)), 0) as z_score
    from segment_levels
    inner join segment_sizes on segment_levels.segment_id = segment_sizes.segment_id
    inner join population_levels
        on
            segment_levels.feature_name = population_levels.feature_name
            and segment_levels.level = population_levels.level

),

profiles as (

    select * from numeric_profiles
    union all
    select * from categorical_profiles

),

final as (

    select
        profiles.*,
        catalog.not_segmented_because is null as is_informative,
        -- bigint as the contract says: Spark's row_number is an int
        cast(row_number() over (
            partition by profiles.segment_id
            order by
                catalog.not_segmented_because is null desc,
                abs(coalesce(profiles.z_score, 0)) desc,
                profiles.feature_name asc,
                profiles.level asc
        ) as bigint) as rank_in_segment,
        nodes.model_version
    from profiles
    inner join nodes on profiles.segment_id = nodes.segment_id
    inner join catalog on profiles.feature_name = catalog.feature_name

)

select * from final
