-- The item categories of the eligible users' windows, one row per category: how widespread
-- each is, and whether it becomes a share_category_<name> feature (the top_k by share of users
-- on at least min_user_share of them). No rows when items have no category.
{%- set top_k = var('segscope_item_categories_top_k') %}
{%- set min_share = var('segscope_item_categories_min_user_share') %}

with

events as (

    select
        user_id,
        item_category
    from {{ ref('int_events__in_window') }}
    where item_category is not null

),

eligible as (

    select count(*) as n_users from {{ ref('int_users__observation_windows') }}

),

categorized as (

    select
        user_id,
        {{ segscope_split_values('item_category', var('segscope_item_category_separator')) }}
            as category
    from events

),

observed as (

    select
        category,
        count(distinct user_id) as n_users,
        count(*) as n_events
    from categorized
    where category != ''
    group by category

),

ranked as (

    select
        observed.*,
        observed.n_users * 1.0 / nullif(eligible.n_users, 0) as user_share,
        observed.n_users >= {{ min_share }} * eligible.n_users as is_widespread,
        row_number() over (
            order by observed.n_users >= {{ min_share }} * eligible.n_users desc,
                observed.n_users desc, observed.category
        ) as candidate_rank
    from observed
    cross join eligible

),

selected as (

    select
        *,
        is_widespread and candidate_rank <= {{ top_k }} as is_selected,
        case
            when not is_widespread
                then 'on fewer than {{ min_share * 100 }}% of users '
                    || '(segscope_item_categories_min_user_share)'
            when candidate_rank > {{ top_k }}
                then 'beyond the top {{ top_k }} by share of users (segscope_item_categories_top_k)'
            else 'among the top {{ top_k }} by share of users'
        end as selection_reason,
        {{ segscope_identifier_stem('category') }} as name_stem
    from ranked

),

-- a stem two selected categories share, or an empty one, gets the rank appended
final as (

    select
        category,
        n_users,
        user_share,
        n_events,
        is_selected,
        case when is_selected then candidate_rank end as selection_rank,
        selection_reason,
        case
            when not is_selected then null
            when name_stem = '' then 'category_' || cast(candidate_rank as string)
            when count(*) over (partition by is_selected, name_stem) > 1
                then name_stem || '_' || cast(candidate_rank as string)
            else name_stem
        end as feature_stem
    from selected

)

select * from final
