-- Every split segment's children hold exactly its users.

with

segments as (

    select * from {{ ref('segments') }}

),

children as (

    select
        parent_segment_id,
        sum(n_users) as children_users
    from segments
    where parent_segment_id is not null
    group by parent_segment_id

)

select
    segments.segment_id,
    segments.n_users,
    children.children_users
from segments
inner join children on segments.segment_id = children.parent_segment_id
where segments.n_users != children.children_users
