"""The generator's SQL, one statement per table.

Templates for ``str.format``: ``{schema}`` (quoted), ``{t}`` (prefix of the parameter tables),
``{s[name]}`` (the salt of one random decision) and constants from the persona spec.
``segscope_draw(key, key, salt)`` is the seeded uniform in [0, 1): the same arguments always
give the same number, so a row's randomness does not depend on threads or row order.
Times are computed in epoch microseconds (``*_us``) and become timestamps at the end.
"""

PERSONA_TRUTH = """
create or replace table {schema}.persona_truth as

with

user_ids as (

    select range as user_id from range(1, {n_users} + 1)

),

leaf_params as (

    select * from {t}leaf_params

),

draws as (

    select
        user_id,
        segscope_draw(user_id, 0, {s[persona]}) as persona_draw,
    from user_ids

),

-- each leaf (persona, sub-persona) owns a band of [0, 1) as wide as its share
final as (

    select
        draws.user_id,
        leaf_params.persona,
        leaf_params.sub_persona,
        leaf_params.is_outlier,
    from draws
    inner join leaf_params
        on
            draws.persona_draw >= leaf_params.share_lo
            and draws.persona_draw < leaf_params.share_hi

)

select * from final
"""

USERS = """
create or replace table {schema}.users as

with

truth as (

    select * from {schema}.persona_truth

),

leaf_params as (

    select * from {t}leaf_params

),

choices as (

    select * from {t}choice_params

),

-- ids grow with signup time, as real ids do; signups are uniform over the period
draws as (

    select
        truth.user_id,
        leaf_params.*,
        {as_of_us} - {signup_period_us} + {signup_period_us} / {n_users}
            * (truth.user_id - 1 + segscope_draw(truth.user_id, 0, {s[signup]}))
            as signup_us,
        segscope_draw(truth.user_id, 0, {s[country]}) as country_draw,
        segscope_draw(truth.user_id, 0, {s[device]}) as device_draw,
        segscope_draw(truth.user_id, 0, {s[channel]}) as channel_draw,
        segscope_draw(truth.user_id, 0, {s[paid]}) as paid_draw,
        segscope_draw(truth.user_id, 0, {s[annual]}) as annual_draw,
        segscope_draw(truth.user_id, 0, {s[churn]}) as churn_draw,
        segscope_draw(truth.user_id, 0, {s[churn_time]}) as churn_time_draw,
    from truth
    inner join leaf_params
        on
            truth.persona = leaf_params.persona
            and truth.sub_persona = leaf_params.sub_persona

),

-- the outcome columns depend on the persona: that is what makes them leak
outcomes as (

    select
        *,
        case
            when paid_draw >= paid_share then 'free'
            when annual_draw < annual_share then 'annual'
            else 'monthly'
        end as plan,
        -- churn comes after the window, a mean of churn_days later
        case
            when churn_draw < churn_share
                then signup_us
                    + ({window_days} - ln(1 - churn_time_draw) * churn_days) * {day_us}
        end as churn_us,
    from draws

),

final as (

    select
        outcomes.user_id,
        make_timestamp(cast(round(outcomes.signup_us / 1000) * 1000 as bigint))
            as signed_up_at,
        countries.value as country,
        devices.value as device,
        channels.value as acquisition_channel,
        -- "currently paying": a paid plan and not (yet) churned at as_of
        outcomes.plan <> 'free'
            and coalesce(outcomes.churn_us >= {as_of_us}, true) as is_paying,
        outcomes.plan,
        case
            when outcomes.churn_us < {as_of_us}
                then make_timestamp(cast(round(outcomes.churn_us / 1000) * 1000 as bigint))
        end as churned_at,
    from outcomes
    inner join choices as countries
        on
            outcomes.leaf_index = countries.leaf_index
            and countries.attribute = 'country'
            and outcomes.country_draw >= countries.cum_lo
            and outcomes.country_draw < countries.cum_hi
    inner join choices as devices
        on
            outcomes.leaf_index = devices.leaf_index
            and devices.attribute = 'device'
            and outcomes.device_draw >= devices.cum_lo
            and outcomes.device_draw < devices.cum_hi
    inner join choices as channels
        on
            outcomes.leaf_index = channels.leaf_index
            and channels.attribute = 'channel'
            and outcomes.channel_draw >= channels.cum_lo
            and outcomes.channel_draw < channels.cum_hi

)

select * from final
"""

# How events are laid out, per user:
# 1. draw lifetime counts per kind; "actions" are numbered 0..n-1 kind after kind, and a
#    follow-up (video_finished) borrows the number of the action it follows up;
# 2. shuffle the action numbers with an affine permutation (a prime stride mod n: no sort),
#    so that cutting the shuffled sequence into runs of actions_per_session gives sessions
#    that mix kinds;
# 3. give each session a day (the persona's preferred days first) and a start hour (its own
#    part of the persona's hours), or a day in the decaying tail after the window;
# 4. space a session's actions a few minutes apart; a follow-up comes its duration after
#    its action.
EVENTS = """
create or replace table {schema}.events as

with

users as (

    select
        user_id,
        epoch_us(signed_up_at) as signup_us,
    from {schema}.users

),

truth as (

    select * from {schema}.persona_truth

),

leaf_params as (

    select * from {t}leaf_params

),

count_params as (

    select * from {t}count_params

),

users_with_leaf as (

    select
        users.user_id,
        users.signup_us,
        leaf_params.*,
    from users
    inner join truth on users.user_id = truth.user_id
    inner join leaf_params
        on
            truth.persona = leaf_params.persona
            and truth.sub_persona = leaf_params.sub_persona

),

-- lifetime events per user and kind; a follow-up kind redraws its base kind's count from
-- the same draw, so there are never more videos finished than started
kind_counts as (

    select
        users_with_leaf.user_id,
        count_params.*,
        count_params.base_lo + cast(floor(
            segscope_draw(users_with_leaf.user_id, count_params.base_kind_index, {s[count]})
            * (count_params.base_hi - count_params.base_lo + 1)
        ) as bigint) as base_n_events,
    from users_with_leaf
    inner join count_params on users_with_leaf.leaf_index = count_params.leaf_index

),

kind_sizes as (

    select
        *,
        cast(round(base_n_events * (ratio_lo + segscope_draw(user_id, kind_index, {s[ratio]})
            * (ratio_hi - ratio_lo))) as bigint) as n_kind_events,
    from kind_counts

),

-- a follow-up row comes right after its base kind's row, so the running count of actions
-- through it, minus the base count, is where the base kind's actions start
numbered_kinds as (

    select
        *,
        cast(sum(n_kind_events) filter (where not is_follow_up) over by_kind as bigint)
            - base_n_events as first_action_number,
        cast(sum(n_kind_events) filter (where is_follow_up) over by_kind as bigint)
            - case when is_follow_up then n_kind_events else 0 end as first_follow_up_number,
        cast(sum(n_kind_events) filter (where not is_follow_up) over by_user as bigint)
            as n_user_actions,
    from kind_sizes
    where n_kind_events > 0
    window
        by_kind as (partition by user_id order by base_kind_index, kind_index),
        by_user as (partition by user_id)

),

-- each user's habits, drawn once
user_habits as (

    select
        user_id,
        signup_us,
        signup_us - signup_us % {day_us} as signup_midnight_us,
        -- 0 = Monday: 1970-01-01 was a Thursday
        (signup_us // {day_us} + 3) % 7 as signup_weekday,
        cast(actions_per_session_lo + floor(
            (actions_per_session_hi - actions_per_session_lo + 1)
            * segscope_draw(user_id, 0, {s[session_actions]})
        ) as bigint) as actions_per_session,
        {minute_us} * (gap_minutes_lo
            + (gap_minutes_hi - gap_minutes_lo) * segscope_draw(user_id, 0, {s[gap]})
        ) as gap_us,
        cast(active_days_lo + floor(
            (active_days_hi - active_days_lo + 1) * segscope_draw(user_id, 0, {s[active_days]})
        ) as bigint) as active_days,
        cast(floor(7 * segscope_draw(user_id, 0, {s[day_shift]})) as bigint) as day_shift,
        {stride_primes}[
            1 + cast(floor({n_strides} * segscope_draw(user_id, 0, {s[stride]})) as int)
        ] as stride,
        cast(floor({event_id_stride} * segscope_draw(user_id, 0, {s[shift]})) as bigint)
            as shift,
        hour_lo,
        hour_hi - hour_lo as hour_width,
        day_order,
        start_jitter,
        first_session_at_signup,
        tail_share,
        tail_days,
        off_pattern_lo + (off_pattern_hi - off_pattern_lo)
            * segscope_draw(user_id, 0, {s[off_share]}) as off_pattern_share,
        segscope_draw(user_id, 0, {s[anonymous]}) < anonymous_share as browsed_anonymously,
        subject_focus,
        n_preferred,
        preferred_1,
        preferred_2,
        preferred_3,
    from users_with_leaf

),

expanded as (

    select
        numbered_kinds.user_id,
        numbered_kinds.event_name,
        numbered_kinds.is_follow_up,
        numbered_kinds.item_family,
        numbered_kinds.family_index,
        numbered_kinds.duration_lo,
        numbered_kinds.duration_hi,
        numbered_kinds.first_action_number,
        numbered_kinds.first_follow_up_number,
        numbered_kinds.n_user_actions,
        user_habits.* exclude (user_id),
        unnest(range(numbered_kinds.n_kind_events)) as kind_event_number,
    from numbered_kinds
    inner join user_habits on numbered_kinds.user_id = user_habits.user_id

),

sessioned as (

    select
        *,
        first_action_number + kind_event_number as action_number,
        -- follow-ups are numbered after all actions, so event ids stay unique
        case
            when is_follow_up
                then n_user_actions + first_follow_up_number + kind_event_number
            else first_action_number + kind_event_number
        end as event_number,
        ((stride * (first_action_number + kind_event_number) + shift) % n_user_actions)
            // actions_per_session as session_number,
        ((stride * (first_action_number + kind_event_number) + shift) % n_user_actions)
            % actions_per_session as position_in_session,
        (n_user_actions + actions_per_session - 1) // actions_per_session as n_sessions,
    from expanded

),

-- session s goes to the (s mod active_days)-th preferred day; the sessions of one day
-- split the persona's hours between them, so they do not run into each other
session_slots as (

    select
        *,
        session_number % active_days as day_slot,
        (n_sessions + active_days - 1) // active_days as sessions_per_day,
        session_number > 0
            and segscope_draw(user_id, session_number, {s[tail]}) < tail_share
            as is_tail_session,
        session_number > 0
            and segscope_draw(user_id, session_number, {s[off_pattern]}) < off_pattern_share
            as is_off_pattern,
    from sessioned

),

session_days as (

    select
        *,
        -- rotated by day, so the last, partly filled round of slots does not always leave
        -- the latest hours empty
        (session_number // active_days + day_slot + day_shift) % sessions_per_day
            as slot_of_day,
        case day_order
            -- any: consecutive days from a random one
            when 0 then (day_slot + day_shift) % 7
            -- weekend_first: Saturday and Sunday, then the weekdays
            when 1 then (
                case
                    when day_slot < 2 then 5 + (day_slot + day_shift) % 2
                    else (day_slot - 2 + day_shift) % 5
                end - signup_weekday + 7) % 7
            -- weekday_first: Monday to Friday, then the weekend
            else (
                case
                    when day_slot < 5 then (day_slot + day_shift) % 5
                    else 5 + (day_slot - 5 + day_shift) % 2
                end - signup_weekday + 7) % 7
        end as day_offset,
    from session_slots

),

session_starts as (

    select
        *,
        case
            when first_session_at_signup and session_number = 0
                then signup_us
                    + 5 * {minute_us} * segscope_draw(user_id, 0, {s[first_start]})
            -- the tail: weeks 2-8, fewer sessions the later
            when is_tail_session
                then signup_midnight_us
                    + {day_us} * (8 + least({tail_last_day} - 8, floor(tail_days
                        * -ln(1 - segscope_draw(user_id, session_number, {s[tail_day]})))))
                    + {hour_us} * (hour_lo + hour_width
                        * segscope_draw(user_id, session_number, {s[tail_hour]}))
            -- habits are not rules: some sessions fall on any day, at any waking hour
            when is_off_pattern
                then signup_midnight_us
                    + {day_us} * floor(7 * segscope_draw(user_id, session_number, {s[off_day]}))
                    + {hour_us} * (8 + 15
                        * segscope_draw(user_id, session_number, {s[off_hour]}))
            else signup_midnight_us
                + {day_us} * day_offset
                + {hour_us} * (hour_lo + hour_width / sessions_per_day * (slot_of_day
                    + start_jitter * segscope_draw(user_id, session_number, {s[start_hour]})))
        end as planned_start_us,
    from session_days

),

timed as (

    select
        *,
        -- hours of the signup day before the signup move to the same weekday a week later,
        -- still inside the first week
        case
            when planned_start_us < signup_us then planned_start_us + 7 * {day_us}
            else planned_start_us
        end as session_start_us,
        case
            when duration_lo is not null
                then round(duration_lo + (duration_hi - duration_lo)
                    * segscope_draw(user_id, event_number, {s[duration]}))
        end as duration_seconds,
    from session_starts

),

placed as (

    select
        *,
        case
            -- a few visitors browse anonymously in the hour before they sign up
            when browsed_anonymously and event_name = 'page_viewed' and kind_event_number = 0
                then signup_us - {minute_us}
                    * (1 + 59 * segscope_draw(user_id, 0, {s[anonymous_time]}))
            else session_start_us + gap_us * (position_in_session
                + 0.5 * segscope_draw(user_id, action_number, {s[action_jitter]}))
        end
        -- a follow-up comes as long after its action as it lasted (or a few seconds)
        + case
            when is_follow_up
                then 1000000 * coalesce(duration_seconds,
                    5 + 55 * segscope_draw(user_id, event_number, {s[follow_up_delay]}))
            else 0
        end as occurred_us,
    from timed

),

-- mostly the persona's subjects, popular (low) item numbers more often; both kinds of a
-- family draw with the same key, so the n-th video finished is the n-th video started.
-- Item ids are picked from constant lists ('video:math:', ...; '0000', ...): much cheaper
-- than formatting strings row by row
item_draws as (

    select
        *,
        family_index * {event_id_stride} + kind_event_number as item_key,
    from placed
    where occurred_us < {as_of_us}

),

with_items as (

    select
        *,
        case
            when item_family is not null
                then {item_prefixes}[1 + family_index * {n_subjects} + case
                    when segscope_draw(user_id, item_key, {s[focus]}) < subject_focus
                        then case cast(
                            floor(n_preferred * segscope_draw(user_id, item_key, {s[subject]}))
                            as int)
                            when 0 then preferred_1
                            when 1 then preferred_2
                            else preferred_3
                        end
                    else cast(
                        floor({n_subjects} * segscope_draw(user_id, item_key, {s[subject]}))
                        as int)
                end]
                || {item_numbers}[1 + cast(floor({items_per_subject}
                    * pow(segscope_draw(user_id, item_key, {s[item]}), 2)) as int)]
        end as item_id,
    from item_draws

),

-- dirt: a few events carry the id of a user who is not in the users table
final as (

    select
        user_id * {event_id_stride} + event_number as event_id,
        case
            when segscope_draw(user_id, event_number, {s[orphan]}) < {orphan_share}
                then {n_users} + 1 + cast(floor({orphan_pool}
                    * segscope_draw(user_id, event_number, {s[orphan_id]})) as bigint)
            else user_id
        end as user_id,
        event_name,
        make_timestamp(cast(round(occurred_us / 1000) * 1000 as bigint)) as occurred_at,
        item_id,
        duration_seconds,
    from with_items

)

select * from final
"""

# dirt: the same row delivered twice, as at-least-once pipelines do
DUPLICATES = """
insert into {schema}.events
select * from {schema}.events
where segscope_draw(event_id, 0, {s[duplicate]}) < {duplicate_share}
"""
