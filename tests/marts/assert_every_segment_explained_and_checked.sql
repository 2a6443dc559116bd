-- Every segment of a split has a surrogate's fidelity, a SHAP explanation and a stability row
-- (the outliers' own segment -1 is no cluster and gets no stability row). A tree that did not
-- split has nothing to explain.

with

segments as (

    select * from {{ ref('segments') }}

),

explained as (

    select distinct segment_id from {{ ref('segment_explanations') }}

),

fidelity as (

    select segment_id from {{ ref('segment_fidelity') }}

),

stability as (

    select segment_id from {{ ref('segment_stability') }}

),

split_trees as (

    select count(*) > 1 as did_split from segments

)

select
    segments.segment_id,
    explained.segment_id is null as lacks_explanation,
    fidelity.segment_id is null as lacks_fidelity,
    stability.segment_id is null and not segments.is_outlier_segment as lacks_stability
from segments
cross join split_trees
left join explained on segments.segment_id = explained.segment_id
left join fidelity on segments.segment_id = fidelity.segment_id
left join stability on segments.segment_id = stability.segment_id
where
    split_trees.did_split
    and (
        explained.segment_id is null
        or fidelity.segment_id is null
        or (stability.segment_id is null and not segments.is_outlier_segment)
    )
