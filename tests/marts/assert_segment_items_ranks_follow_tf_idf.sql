-- segment_items: each segment's ranks run 1..n without gaps, a better rank never has a lower
-- tf_idf, and no ranked item has fewer users than segscope_items_min_users.

with

items as (

    select * from {{ ref('segment_items') }}

),

ranks as (

    select
        segment_id,
        count(*) as n_items,
        min(rank) as first_rank,
        max(rank) as last_rank
    from items
    group by segment_id

),

gaps as (

    select
        segment_id,
        'ranks are not 1..' || n_items as problem
    from ranks
    where first_rank != 1 or last_rank != n_items

),

out_of_order as (

    select
        better.segment_id,
        'rank ' || better.rank || ' scores below rank ' || worse.rank as problem
    from items as better
    inner join items as worse
        on
            better.segment_id = worse.segment_id
            and better.rank + 1 = worse.rank
    where better.tf_idf < worse.tf_idf

),

too_few_users as (

    select
        segment_id,
        item_id || ' has ' || n_users || ' users' as problem
    from items
    where n_users < {{ var('segscope_items_min_users') }}

)

select * from gaps
union all
select * from out_of_order
union all
select * from too_few_users
