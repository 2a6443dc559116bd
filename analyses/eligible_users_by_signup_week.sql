-- How many users each signup week brings, how many are eligible (their window is complete),
-- and how many of those did nothing in their window: the first look at whether data is ready.

with

users as (

    select * from {{ ref('stg_product__users') }}

),

features as (

    select * from {{ segscope_as_published(ref('user_features')) }}

),

weekly as (

    select
        date_trunc('week', users.signed_up_at) as signup_week,
        count(*) as signed_up,
        count(features.user_id) as eligible,
        count(case when features.n_events = 0 then 1 end) as eligible_without_events
    from users
    left join features on users.user_id = features.user_id
    group by date_trunc('week', users.signed_up_at)

)

select * from weekly
order by signup_week
