-- The event vocabulary of the eligible users' windows, one row per event name: how widespread
-- each name is, and whether it becomes features (segscope_event_types and its companions).
-- By default the top_k names by share of users that pass the allow-list, the deny-list, the
-- leakage rules and the minimum coverage; or exactly the pinned list, in its order.
-- noqa: disable=LT02
-- (LT02: the layout is the Jinja loop's)
{%- set pinned = var('segscope_event_types') %}
{%- set is_pinned = pinned is not string %}
{%- set allow = var('segscope_event_types_allow') %}
{%- set deny = var('segscope_event_types_deny') %}
{%- set top_k = var('segscope_event_types_top_k') %}
{%- set min_share = var('segscope_event_types_min_user_share') %}

with

events as (

    select
        user_id,
        event_name,
        event_value
    from {{ ref('int_events__in_window') }}

),

eligible as (

    select count(*) as n_users from {{ ref('int_users__observation_windows') }}

),

leakage_rules as (

    select
        lower(pattern) as pattern,
        reason
    from {{ ref('leakage_rules') }}
    where lower(rule_kind) = 'event_name'

),

observed as (

    select
        event_name,
        count(distinct user_id) as n_users,
        count(*) as n_events,
        coalesce(max(event_value) > 0, false) as has_positive_value,
        coalesce(min(event_value) < 0, false) as has_negative_value
    from events
    group by event_name

),

{% if not is_pinned or not pinned %}
vocabulary as (

    select
        *,
        cast(null as integer) as pinned_position
    from observed

),
{% else %}
pinned as (

    {% for name in pinned -%}
    select
        {{ segscope_sql_string(name) }} as event_name,
        {{ loop.index }} as pinned_position
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

-- a pinned name without events stays: its features are all zero, the columns do not move
vocabulary as (

    select
        coalesce(observed.event_name, pinned.event_name) as event_name,
        coalesce(observed.n_users, 0) as n_users,
        coalesce(observed.n_events, 0) as n_events,
        coalesce(observed.has_positive_value, false) as has_positive_value,
        coalesce(observed.has_negative_value, false) as has_negative_value,
        pinned.pinned_position
    from observed
    full outer join pinned on observed.event_name = pinned.event_name

),
{% endif %}

leaks as (

    select
        vocabulary.event_name,
        min(leakage_rules.reason) as leakage_reason
    from vocabulary
    inner join leakage_rules on lower(vocabulary.event_name) like leakage_rules.pattern
    group by vocabulary.event_name

),

judged as (

    select
        vocabulary.event_name,
        vocabulary.n_users,
        vocabulary.n_users * 1.0 / nullif(eligible.n_users, 0) as user_share,
        vocabulary.n_events,
        vocabulary.has_positive_value,
        vocabulary.has_negative_value,
        vocabulary.pinned_position,
        {%- if not is_pinned %}
        case
            when leaks.leakage_reason is not null then 'leakage rule: ' || leaks.leakage_reason
            {%- if deny %}
            when vocabulary.event_name in (
                {%- for name in deny %}{{ segscope_sql_string(name) }}{{ ", " if not loop.last }}{% endfor -%}
            ) then 'in segscope_event_types_deny'
            {%- endif %}
            {%- if allow is not none %}
            when {% if allow %}vocabulary.event_name not in (
                {%- for name in allow %}{{ segscope_sql_string(name) }}{{ ", " if not loop.last }}{% endfor -%}
            ){% else %}true{% endif %} then 'not in segscope_event_types_allow'
            {%- endif %}
            when vocabulary.n_users < {{ min_share }} * eligible.n_users
                then 'on fewer than {{ min_share * 100 }}% of users (segscope_event_types_min_user_share)'
        end as excluded_because
        {%- else %}
        case
            when vocabulary.pinned_position is null then 'not in segscope_event_types (pinned)'
        end as excluded_because
        {%- endif %}
    from vocabulary
    cross join eligible
    left join leaks on vocabulary.event_name = leaks.event_name

),

-- candidates in a deterministic order: pinned order, else most widespread first
ranked as (

    select
        *,
        case when excluded_because is null then row_number() over (
            partition by excluded_because is null
            order by pinned_position, n_users desc, event_name
        ) end as candidate_rank
    from judged

),

selected as (

    select
        *,
        {%- if not is_pinned %}
        excluded_because is null and candidate_rank <= {{ top_k }} as is_selected,
        coalesce(
            excluded_because,
            case when candidate_rank > {{ top_k }}
                then 'beyond the top {{ top_k }} by share of users (segscope_event_types_top_k)'
            end,
            'among the top {{ top_k }} by share of users'
        ) as selection_reason,
        {%- else %}
        excluded_because is null as is_selected,
        coalesce(excluded_because, 'pinned in segscope_event_types') as selection_reason,
        {%- endif %}
        {{ segscope_identifier_stem('event_name') }} as name_stem
    from ranked

),

-- a stem two selected names share, or an empty one, gets the selection rank appended
final as (

    select
        event_name,
        n_users,
        user_share,
        n_events,
        has_positive_value,
        has_negative_value,
        is_selected,
        case when is_selected then candidate_rank end as selection_rank,
        selection_reason,
        case
            when not is_selected then null
            when name_stem = '' then 'event_' || cast(candidate_rank as string)
            when count(*) over (partition by is_selected, name_stem) > 1
                then name_stem || '_' || cast(candidate_rank as string)
            else name_stem
        end as feature_stem
    from selected

)

select * from final
