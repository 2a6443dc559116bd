-- Where the users of each segment went from one model version to another (vars
-- segscope_analysis_from_version and segscope_analysis_to_version; null: from the second most
-- recent version in user_segment_history to the most recent, by recorded_at). One row per
-- from-segment and to-segment with the users who moved so, and their share of the
-- from-segment. Leaf segments; a user segmented in one version only has a null segment on the
-- other side (so while the history holds a single version, everybody comes from null).
{%- set from_version = var('segscope_analysis_from_version') %}
{%- set to_version = var('segscope_analysis_to_version') %}
{%- set from_version_sql = "'%s'" % from_version if from_version is not none
    else 'second_latest_version' %}
{%- set to_version_sql = "'%s'" % to_version if to_version is not none else 'latest_version' %}

with

history as (

    select * from {{ segscope_as_published(ref('user_segment_history')) }}

),

versions_by_recency as (

    select
        model_version,
        row_number() over (
            order by min(recorded_at) desc, model_version desc
        ) as recency_rank
    from history
    group by model_version

),

latest_versions as (

    select
        max(case when recency_rank = 2 then model_version end) as second_latest_version,
        max(case when recency_rank = 1 then model_version end) as latest_version
    from versions_by_recency

),

compared_versions as (

    select
        {{ from_version_sql }} as from_version,
        {{ to_version_sql }} as to_version
    from latest_versions

),

from_assignments as (

    select
        history.user_id,
        history.segment_id,
        history.segment_name
    from history
    inner join compared_versions on history.model_version = compared_versions.from_version

),

to_assignments as (

    select
        history.user_id,
        history.segment_id,
        history.segment_name
    from history
    inner join compared_versions on history.model_version = compared_versions.to_version

),

moves as (

    select
        from_assignments.segment_id as from_segment_id,
        from_assignments.segment_name as from_segment_name,
        to_assignments.segment_id as to_segment_id,
        to_assignments.segment_name as to_segment_name
    from from_assignments
    full outer join to_assignments on from_assignments.user_id = to_assignments.user_id

),

matrix as (

    select
        from_segment_id,
        from_segment_name,
        to_segment_id,
        to_segment_name,
        count(*) as n_users
    from moves
    group by from_segment_id, from_segment_name, to_segment_id, to_segment_name

),

final as (

    select
        compared_versions.from_version,
        compared_versions.to_version,
        matrix.from_segment_id,
        matrix.from_segment_name,
        matrix.to_segment_id,
        matrix.to_segment_name,
        matrix.n_users,
        matrix.n_users / sum(matrix.n_users) over (
            partition by matrix.from_segment_id
        ) as share_of_from_segment
    from matrix
    cross join compared_versions

)

select * from final
order by from_segment_id asc, n_users desc, to_segment_id asc
