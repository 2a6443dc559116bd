{{ config(severity='warn') }}
-- No silent nothing: a tree that did not split at all passes every other test, so it warns here,
-- with the root's reason (stored in the audit schema; `segscope summary` and the report say it
-- in words too).

with

top_level as (

    select count(*) as n_segments from {{ ref('segments') }}
    where depth = 1

),

root as (

    select max(split_reason) as split_reason from {{ ref('segment_model_selection') }}
    where node_depth = 0

),

final as (

    select
        'root' as node,
        coalesce(root.split_reason, 'no candidate clustering could be tried') as split_reason
    from top_level
    cross join root
    where top_level.n_segments <= 1

)

select * from final
