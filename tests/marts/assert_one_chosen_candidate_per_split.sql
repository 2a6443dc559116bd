-- A node that split did so on exactly one chosen candidate; a leaf chose none.

select
    node_segment_id,
    bool_or(did_split) as did_split,
    count(case when is_chosen then 1 end) as n_chosen
from {{ ref('segment_model_selection') }}
group by node_segment_id
having count(case when is_chosen then 1 end) != case when bool_or(did_split) then 1 else 0 end
