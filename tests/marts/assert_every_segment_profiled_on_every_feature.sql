-- Every segment has a profile row for every catalog feature, and no profile lacks a segment.

with

segments as (

    select segment_id from {{ ref('segments') }}

),

catalog as (

    select feature_name from {{ ref('feature_catalog') }}

),

expected as (

    select
        segments.segment_id,
        catalog.feature_name
    from segments
    cross join catalog

),

profiled as (

    select distinct
        segment_id,
        feature_name
    from {{ ref('segment_profiles') }}

)

select
    coalesce(expected.segment_id, profiled.segment_id) as segment_id,
    coalesce(expected.feature_name, profiled.feature_name) as feature_name,
    expected.segment_id is null as profiled_without_segment
from expected
full outer join profiled
    on
        expected.segment_id = profiled.segment_id
        and expected.feature_name = profiled.feature_name
where expected.segment_id is null or profiled.segment_id is null
