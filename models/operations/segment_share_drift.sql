-- Segment shares over time: per signup week, the share of each top-level segment among the
-- week's segmented users (fitted and scored), against its share in the fit. A segment that
-- grows or shrinks week after week is drift the fit has not seen.
-- depends_on: {{ ref('segmentation_explainer') }}, {{ ref('segmentation_stability_checks') }}

with

user_segments as (

    select * from {{ ref('user_segments') }}

),

windows as (

    select * from {{ ref('int_users__observation_windows') }}

),

fitted_shares as (

    select
        top_segment_id,
        count(*) / sum(count(*)) over () as fitted_share
    from user_segments
    where assigned_by = 'fit'
    group by top_segment_id

),

weekly as (

    select
        date_trunc('week', windows.signed_up_at) as signup_week,
        user_segments.top_segment_id,
        count(*) as n_users,
        count(case when user_segments.assigned_by = 'apply' then 1 end) as n_users_scored
    from user_segments
    inner join windows on user_segments.user_id = windows.user_id
    group by date_trunc('week', windows.signed_up_at), user_segments.top_segment_id

),

final as (

    select
        cast(weekly.signup_week as date) as signup_week,
        cast(weekly.top_segment_id as string) as top_segment_id,
        cast(weekly.n_users as bigint) as n_users,
        cast(weekly.n_users_scored as bigint) as n_users_scored,
        cast(sum(weekly.n_users) over (partition by weekly.signup_week) as bigint)
            as n_users_in_week,
        cast(
            weekly.n_users / sum(weekly.n_users) over (partition by weekly.signup_week)
            as double
        ) as share_of_week,
        cast(coalesce(fitted_shares.fitted_share, 0) as double) as fitted_share,
        cast(
            weekly.n_users / sum(weekly.n_users) over (partition by weekly.signup_week)
            - coalesce(fitted_shares.fitted_share, 0)
            as double
        ) as share_shift
    from weekly
    left join fitted_shares on weekly.top_segment_id = fitted_shares.top_segment_id

)

select * from final
