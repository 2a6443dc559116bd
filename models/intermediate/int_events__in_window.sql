-- Events that may describe a user: of an eligible user, inside that user's window, duplicates
-- removed, with the time parts the feature catalog aggregates, a gap-based session number and
-- the item's category when items have one.
-- depends_on: {{ ref('stg_product__items') }}
-- (read only when items have a category; the graph must not change with the vars)
{%- set has_categories = var('segscope_items_table') is not none
    and segscope_mapping('items').get('item_category') is not none %}

with

events as (

    select * from {{ ref('stg_product__events') }}

),

windows as (

    select
        user_id,
        window_start,
        window_end
    from {{ ref('int_users__observation_windows') }}

),

{% if has_categories -%}
items as (

    select
        item_id,
        item_category
    from {{ ref('stg_product__items') }}

),
{%- endif %}

-- the inner join drops orphan events and events of users who are not eligible
in_window as (

    select
        events.event_id,
        events.user_id,
        events.event_name,
        events.occurred_at,
        events.item_id,
        events.event_value,
        {{ 'items.item_category' if has_categories else 'cast(null as ' ~ dbt.type_string() ~ ')' }}
            as item_category,
        windows.window_start,
        windows.window_end
    from events
    inner join windows
        on
            events.user_id = windows.user_id
            and events.occurred_at >= windows.window_start
            and events.occurred_at < windows.window_end
    {%- if has_categories %}
    left join items on events.item_id = items.item_id
    {%- endif %}

),

-- one sort per user serves both deduplication and sessions: a duplicated event sits right
-- after its original (same time, same id), and a zero gap never starts a session
with_previous as (

    select
        *,
        lag(event_id) over user_timeline as previous_event_id,
        lag(occurred_at) over user_timeline as previous_occurred_at
    from in_window
    window user_timeline as (partition by user_id order by occurred_at, event_id)

),

sessionized as (

    select
        *,
        sum(
            case
                when previous_occurred_at is null then 1
                when occurred_at >= {{ dbt.dateadd(
                    'minute', var('segscope_session_gap_minutes'), 'previous_occurred_at') }} then 1
                else 0
            end
        ) over (
            partition by user_id order by occurred_at, event_id rows unbounded preceding
        ) as session_number
    from with_previous

),

deduplicated as (

    select * from sessionized
    where previous_event_id is null or previous_event_id != event_id

),

final as (

    select
        event_id,
        user_id,
        event_name,
        occurred_at,
        item_id,
        event_value,
        item_category,
        window_start,
        window_end,
        session_number,
        cast(occurred_at as date) as event_date,
        extract(hour from occurred_at) as hour_of_day,
        {{ segscope_is_weekend('occurred_at') }} as is_weekend,
        -- in double: a division by a decimal keeps only 6 digits on Spark
        cast({{ dbt.datediff('window_start', 'occurred_at', 'minute') }} as double) / 1440
            as days_after_window_start,
        cast({{ dbt.datediff('occurred_at', 'window_end', 'minute') }} as double) / 1440
            as days_before_window_end
    from deduplicated

)

select * from final
