-- The top-level segments partition the segmented users.

select sum(share_of_users) as total_share
from {{ ref('segments') }}
where depth = 1
having abs(sum(share_of_users) - 1) > 1e-9
