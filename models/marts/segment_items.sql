-- Each segment's distinctive items: class-based TF-IDF (BERTopic's c-TF-IDF) of the items in
-- its users' windowed events, each segment set against the other segments at the same depth.
-- tf = the item's share of the segment's item events; idf = ln(1 + A / f), with f the item's
-- events in every segment of that depth and A the mean item events per segment of that depth.
-- Ranked are only items of at least segscope_items_min_users of the segment's users that are at
-- least segscope_items_min_lift times as common among them as among the other segments' users.
{#- bad settings fail the model at once, naming the var -#}
{%- for name in ('segscope_items_top_n', 'segscope_items_min_users')
    if var(name) is not number or var(name) < 1 or var(name) != var(name) | int %}
    {%- do exceptions.raise_compiler_error(
        "var " ~ name ~ " must be a whole number >= 1, got " ~ var(name)) %}
{%- endfor %}
{%- if var('segscope_items_min_lift') is not number or var('segscope_items_min_lift') < 1 %}
    {%- do exceptions.raise_compiler_error(
        "var segscope_items_min_lift must be a number >= 1, got " ~ var('segscope_items_min_lift')) %}
{%- endif %}

with

events as (

    select * from {{ ref('int_events__in_window') }}

),

user_segments as (

    select * from {{ ref('user_segments') }}

),

segments as (

    select * from {{ ref('segments') }}

),

items as (

    select * from {{ ref('stg_product__items') }}

),

-- a user counts for their leaf and for every ancestor of it, each at its own depth
memberships as (

    select
        segments.segment_id,
        segments.depth,
        user_segments.user_id,
        user_segments.model_version
    from user_segments
    inner join segments
        on
            user_segments.segment_id = segments.segment_id
            or user_segments.segment_id like segments.segment_id || '.%'

),

segment_sizes as (

    select
        segment_id,
        count(*) as segment_users
    from memberships
    group by segment_id

),

depth_sizes as (

    select
        depth,
        count(*) as depth_users
    from memberships
    group by depth

),

-- one row per user and item: the membership join then multiplies users, not events
user_items as (

    select
        cast(user_id as {{ var('segscope_user_key_type') }}) as user_id,
        item_id,
        count(*) as n_events
    from events
    where item_id is not null
    group by user_id, item_id

),

segment_item_counts as (

    select
        memberships.segment_id,
        memberships.depth,
        memberships.model_version,
        user_items.item_id,
        sum(user_items.n_events) as n_events,
        count(*) as n_users
    from memberships
    inner join user_items on memberships.user_id = user_items.user_id
    group by
        memberships.segment_id,
        memberships.depth,
        memberships.model_version,
        user_items.item_id

),

-- the classes' sizes: item events per segment, and A, their mean over a depth's segments
segment_totals as (

    select
        segment_id,
        sum(n_events) as segment_events
    from segment_item_counts
    group by segment_id

),

depth_totals as (

    select
        segment_item_counts.depth,
        sum(segment_item_counts.n_events) * 1.0
        / count(distinct segment_item_counts.segment_id) as mean_segment_events
    from segment_item_counts
    group by segment_item_counts.depth

),

-- f: the item's events (and users) over every segment of the depth
item_totals as (

    select
        depth,
        item_id,
        sum(n_events) as depth_item_events,
        sum(n_users) as depth_item_users
    from segment_item_counts
    group by depth, item_id

),

scored as (

    select
        segment_item_counts.segment_id,
        segment_item_counts.depth,
        segment_item_counts.item_id,
        segment_item_counts.n_events,
        segment_item_counts.n_users,
        segment_item_counts.n_users * 1.0 / segment_sizes.segment_users as segment_user_share,
        -- null when the segment is alone at its depth: there is nothing to set it against
        (item_totals.depth_item_users - segment_item_counts.n_users) * 1.0
        / nullif(depth_sizes.depth_users - segment_sizes.segment_users, 0) as others_user_share,
        segment_item_counts.n_events * 1.0 / segment_totals.segment_events as tf,
        ln(1 + depth_totals.mean_segment_events / item_totals.depth_item_events) as idf,
        segment_item_counts.model_version
    from segment_item_counts
    inner join segment_sizes on segment_item_counts.segment_id = segment_sizes.segment_id
    inner join depth_sizes on segment_item_counts.depth = depth_sizes.depth
    inner join segment_totals on segment_item_counts.segment_id = segment_totals.segment_id
    inner join depth_totals on segment_item_counts.depth = depth_totals.depth
    inner join item_totals
        on
            segment_item_counts.depth = item_totals.depth
            and segment_item_counts.item_id = item_totals.item_id

),

-- one user's favourite, or an item the other segments have as often, does not set a segment
-- apart, however high its tf-idf: only the others are ranked
ranked as (

    select
        *,
        tf * idf as tf_idf,
        row_number() over (
            partition by segment_id
            order by tf * idf desc, n_users desc, item_id asc
        ) as item_rank
    from scored
    where
        n_users >= {{ var('segscope_items_min_users') }}
        and segment_user_share >= {{ var('segscope_items_min_lift') }} * others_user_share

),

final as (

    select
        cast(ranked.segment_id as string) as segment_id,
        cast(ranked.depth as integer) as depth,
        cast(ranked.item_id as string) as item_id,
        cast(coalesce(items.item_label, ranked.item_id) as string) as item_label,
        cast(ranked.n_events as bigint) as n_events,
        cast(ranked.n_users as bigint) as n_users,
        cast(ranked.segment_user_share as double) as segment_user_share,
        cast(ranked.others_user_share as double) as others_user_share,
        cast(ranked.segment_user_share / nullif(ranked.others_user_share, 0) as double) as lift,
        cast(ranked.tf as double) as tf,
        cast(ranked.idf as double) as idf,
        cast(ranked.tf_idf as double) as tf_idf,
        cast(ranked.item_rank as integer) as rank,
        cast(ranked.model_version as string) as model_version
    from ranked
    left join items on ranked.item_id = items.item_id
    where ranked.item_rank <= {{ var('segscope_items_top_n') }}

)

select * from final
