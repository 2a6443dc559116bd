-- Users are assigned to leaves only, and each leaf's size is the users the fit put there (users
-- scored with the fit since, var segscope_mode: apply, come on top, in leaves too).

with

leaves as (

    select * from {{ ref('segments') }}
    where is_leaf

),

assigned as (

    select
        segment_id,
        count(case when assigned_by = 'fit' then 1 end) as n_users,
        count(*) as n_users_with_scored
    from {{ ref('user_segments') }}
    group by segment_id

)

select
    coalesce(leaves.segment_id, assigned.segment_id) as segment_id,
    leaves.n_users as leaf_size,
    assigned.n_users as assigned_users
from leaves
full outer join assigned on leaves.segment_id = assigned.segment_id
where
    leaves.n_users is distinct from assigned.n_users
    or (leaves.segment_id is null and assigned.n_users_with_scored > 0)
