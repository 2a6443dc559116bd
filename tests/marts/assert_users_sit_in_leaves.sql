-- Users are assigned to leaves only, and each leaf's size is its users.

with

leaves as (

    select * from {{ ref('segments') }}
    where is_leaf

),

assigned as (

    select
        segment_id,
        count(*) as n_users
    from {{ ref('user_segments') }}
    group by segment_id

)

select
    coalesce(leaves.segment_id, assigned.segment_id) as segment_id,
    leaves.n_users as leaf_size,
    assigned.n_users as assigned_users
from leaves
full outer join assigned on leaves.segment_id = assigned.segment_id
where leaves.n_users is distinct from assigned.n_users
