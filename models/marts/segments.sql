-- Every node of the segment tree: top-level segments, their children, and so on, with the
-- sentences that say what sets each apart.

with

nodes as (

    select * from {{ ref('segmentation_segments') }}

),

profiles as (

    select * from {{ ref('segment_profiles') }}

),

labels as (

    select * from {{ ref('segment_labels') }}

),

fidelity as (

    select * from {{ ref('segment_fidelity') }}

),

stability as (

    select * from {{ ref('segment_stability') }}

),

-- what sets a segment apart from its parent (the population at the top level): the profile's
-- z-scores share their denominator, so the difference of two is a z-score against the parent
against_parent as (

    select
        profiles.segment_id,
        profiles.feature_name,
        profiles.level,
        profiles.z_score - coalesce(parent_profiles.z_score, 0) as z_against_parent
    from profiles
    inner join nodes on profiles.segment_id = nodes.segment_id
    left join profiles as parent_profiles
        on
            nodes.parent_segment_id = parent_profiles.segment_id
            and profiles.feature_name = parent_profiles.feature_name
            and profiles.level is not distinct from parent_profiles.level
    where profiles.z_score is not null and profiles.is_informative

),

name_parts as (

    select
        segment_id,
        case
            when level is not null then feature_name || ' ' || level
            when z_against_parent > 0 then 'high ' || replace(feature_name, '_', ' ')
            else 'low ' || replace(feature_name, '_', ' ')
        end as part,
        row_number() over (
            partition by segment_id order by abs(z_against_parent) desc, feature_name asc
        ) as part_rank
    from against_parent
    where level is null or z_against_parent > 0

),

automatic_names as (

    select
        segment_id,
        {{ segscope_string_agg('part', "', '", 'part_rank') }} as automatic_name
    from name_parts
    where part_rank <= 2
    group by segment_id

),

-- the three features that set the segment furthest apart (|z| >= 0.5), as sentences
observations as (

    select
        segment_id,
        case
            when kind = 'categorical'
                then
                    cast(cast(round(100 * segment_mean) as integer) as string) || '% have '
                    || feature_name || ' = ' || level || ' ('
                    || cast(cast(round(100 * population_mean) as integer) as string) || '% overall)'
            when lift is null
                then
                    feature_name || ' is ' || cast(round(segment_mean, 2) as string)
                    || ' on average (' || cast(round(population_mean, 2) as string) || ' overall)'
            else
                feature_name || ' is on average '
                || cast(cast(round(100 * abs(lift - 1)) as integer) as string) || '% '
                || case when lift >= 1 then 'higher' else 'lower' end || ' than overall ('
                || cast(round(segment_mean, 2) as string) || ' vs '
                || cast(round(population_mean, 2) as string) || ')'
        end as sentence,
        rank_in_segment
    from profiles
    where rank_in_segment <= 3 and abs(z_score) >= 0.5 and is_informative

),

key_observations as (

    select
        segment_id,
        {{ segscope_string_agg('sentence', "'; '", 'rank_in_segment') }} as key_observations
    from observations
    group by segment_id

),

final as (

    select
        cast(nodes.segment_id as string) as segment_id,
        cast(nodes.parent_segment_id as string) as parent_segment_id,
        cast(nodes.depth as integer) as depth,
        cast(nodes.is_leaf as boolean) as is_leaf,
        cast(nodes.n_users as bigint) as n_users,
        cast(nodes.share_of_users as double) as share_of_users,
        cast(nodes.n_fit as bigint) as n_users_fitted,
        cast(nodes.algorithm as string) as algorithm,
        cast(nodes.split_algorithm as string) as split_algorithm,
        cast(nodes.n_children as integer) as n_children,
        cast(nodes.stability as double) as stability,
        cast(nodes.mean_confidence as double) as mean_confidence,
        cast(nodes.is_noise as boolean) as is_noise,
        cast(nodes.is_outlier_segment as boolean) as is_outlier_segment,
        cast(coalesce(
            nullif(labels.name, ''),
            nodes.segment_id || ': ' || automatic_names.automatic_name,
            'segment ' || nodes.segment_id
        ) as string) as name,
        cast(
            coalesce(nullif(labels.color, ''), {{ segscope_segment_color('nodes.segment_id') }})
            as string
        ) as color,
        cast(labels.description as string) as description,
        cast(key_observations.key_observations as string) as key_observations,
        fidelity.surrogate_f1,
        fidelity.split_macro_f1 as surrogate_split_macro_f1,
        stability.bootstrap_jaccard,
        stability.stability_status,
        stability.seed_ari,
        stability.cohort_jaccard_min,
        cast(nodes.model_version as string) as model_version
    from nodes
    left join fidelity on nodes.segment_id = fidelity.segment_id
    left join stability on nodes.segment_id = stability.segment_id
    left join key_observations on nodes.segment_id = key_observations.segment_id
    left join automatic_names on nodes.segment_id = automatic_names.segment_id
    left join labels on nodes.segment_id = labels.segment_id

)

select * from final
