-- Feature drift of the users scored with the fit (var segscope_mode: apply) against the users
-- it was fitted on: the population stability index (PSI) of every numeric feature over the
-- fit population's deciles. Near 0: the new users look like the fitted ones; above
-- segscope_drift_psi_warn: refit. Null while nobody has been scored.
-- noqa: disable=LT02
-- (LT02: the layout is the Jinja loop's)
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}
{%- set features = segscope_feature_catalog() %}

with

assignments as (

    select * from {{ ref('segmentation_assignments') }}

),

scores as (

    select * from {{ ref('segment_scores') }}

),

features as (

    {{ segscope_all_feature_values() }}

),

populations as (

    select
        user_id,
        'fitted' as population
    from assignments
    union all
    select
        user_id,
        'scored' as population
    from scores
    where model_version in (select assignments.model_version from assignments)

),

feature_values as (

    {% for feature in features if feature.kind != 'categorical' -%}
    select
        populations.population,
        '{{ feature.name }}' as feature_name,
        cast(features.{{ feature.name }} as double) as feature_value
    from populations
    inner join features on populations.user_id = features.user_id
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- the fitted population's deciles (ties collapse: a feature mostly 0 has fewer bins)
edges as (

    select
        feature_name,
        {{ segscope_distinct_quantiles(
            'feature_value', [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]) }} as cut_points
    from feature_values
    where population = 'fitted'
    group by feature_name

),

binned as (

    select
        feature_values.population,
        feature_values.feature_name,
        {{ segscope_count_below('edges.cut_points', 'feature_values.feature_value') }} as bin
    from feature_values
    inner join edges on feature_values.feature_name = edges.feature_name

),

bin_shares as (

    select
        feature_name,
        bin,
        count(case when population = 'fitted' then 1 end) as n_fitted,
        count(case when population = 'scored' then 1 end) as n_scored
    from binned
    group by feature_name, bin

),

-- shares floored at 0.0001 so an empty bin does not make the PSI infinite
psi_terms as (

    select
        feature_name,
        n_fitted,
        n_scored,
        greatest(n_fitted / sum(n_fitted) over (partition by feature_name), 0.0001) as p_fitted,
        greatest(
            n_scored / nullif(sum(n_scored) over (partition by feature_name), 0), 0.0001
        ) as p_scored
    from bin_shares

),

final as (

    select
        cast(feature_name as string) as feature_name,
        cast(sum(n_fitted) as bigint) as n_users_fitted,
        cast(sum(n_scored) as bigint) as n_users_scored,
        cast(count(*) as integer) as n_bins,
        cast(
            case
                when sum(n_scored) > 0
                    then sum((p_scored - p_fitted) * ln(p_scored / p_fitted))
            end as double
        ) as psi
    from psi_terms
    group by feature_name

)

select * from final
