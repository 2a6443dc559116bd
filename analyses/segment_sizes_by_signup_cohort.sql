-- How many users of each signup month fall in each segment, at the top level and at the
-- leaves, and the segment's share of the month's cohort: do the segments hold across cohorts,
-- or is one of them made of the users of one month? Per level, every segmented user is
-- counted once (users the windows table does not know are in the cohort without a month).

with

assignments as (

    select * from {{ segscope_as_published(ref('user_segments')) }}

),

windows as (

    select * from {{ ref('int_users__observation_windows') }}

),

segments as (

    select * from {{ segscope_as_published(ref('segments')) }}

),

users_with_cohort as (

    select
        assignments.user_id,
        assignments.top_segment_id,
        assignments.segment_id as leaf_segment_id,
        date_trunc('month', windows.signed_up_at) as signup_month
    from assignments
    left join windows on assignments.user_id = windows.user_id

),

users_per_level as (

    select
        signup_month,
        'top' as segment_level,
        top_segment_id as segment_id,
        user_id
    from users_with_cohort

    union all

    select
        signup_month,
        'leaf' as segment_level,
        leaf_segment_id as segment_id,
        user_id
    from users_with_cohort

),

counted as (

    select
        signup_month,
        segment_level,
        segment_id,
        count(*) as n_users
    from users_per_level
    group by signup_month, segment_level, segment_id

),

final as (

    select
        counted.signup_month,
        counted.segment_level,
        counted.segment_id,
        segments.name as segment_name,
        counted.n_users,
        cast(sum(counted.n_users) over (
            partition by counted.signup_month, counted.segment_level
        ) as bigint) as cohort_users,
        counted.n_users / sum(counted.n_users) over (
            partition by counted.signup_month, counted.segment_level
        ) as share_of_cohort
    from counted
    left join segments on counted.segment_id = segments.segment_id

)

select * from final
order by signup_month asc, segment_level desc, segment_id asc
