"""The personas planted in the demo data: the single source of the generator's parameters.

Each top-level persona says *what* its users do (how many events of each kind, on which
subjects, how their outcomes look). Sub-personas share their parent's counts and differ
only in *when and how* (habits: hours, days, session shape, device), so a clustering sees the
top level first and has to zoom in to find them. ``planted_differences`` names the
``user_features`` columns a persona (vs everyone else) or a sub-persona (vs its siblings)
was made to differ on; tests of the model assert it finds them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

EVENT_KINDS: tuple[str, ...] = (
    "page_viewed",
    "search_performed",
    "video_started",
    "video_finished",
    "exercise_started",
    "exercise_submitted",
    "quiz_completed",
    "study_plan_configured",
    "material_downloaded",
    "forum_posted",
)

SUBJECTS: tuple[str, ...] = (
    "math",
    "physics",
    "chemistry",
    "biology",
    "history",
    "geography",
    "portuguese",
    "english",
)

# Content events carry an item_id "<family>:<subject>:<number>". Kinds of one family share
# items, so the n-th video finished is the n-th video started.
ITEM_FAMILIES: Mapping[str, str] = MappingProxyType(
    {
        "video_started": "video",
        "video_finished": "video",
        "exercise_started": "exercise",
        "exercise_submitted": "exercise",
        "quiz_completed": "quiz",
        "material_downloaded": "material",
        "forum_posted": "forum",
    }
)

# Kinds whose duration_seconds is set: seconds watched, seconds spent on the exercise.
DURATION_KINDS: tuple[str, ...] = ("video_finished", "exercise_submitted")

DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
CHANNELS: tuple[str, ...] = ("organic", "paid_search", "social", "referral", "email")
PLANS: tuple[str, ...] = ("free", "monthly", "annual")
DAY_ORDERS: tuple[str, ...] = ("any", "weekend_first", "weekday_first")

# Country is deliberately the same for every persona: a feature the model must not "find".
COUNTRY_WEIGHTS: Mapping[str, float] = MappingProxyType(
    {"BR": 0.80, "PT": 0.06, "AO": 0.04, "MZ": 0.03, "US": 0.03, "ES": 0.02, "AR": 0.02}
)

# Dirt and time frame shared by all personas.
ORPHAN_EVENT_SHARE = 0.003  # events whose user_id is not in users (ids above the max)
DUPLICATE_EVENT_SHARE = 0.005  # events written twice, byte for byte
SIGNUP_DAYS = 120  # users sign up uniformly over this many days before as_of
WINDOW_DAYS = 7  # the default observation window: most activity falls inside it
TAIL_LAST_DAY = 56  # the tail of activity after the window lasts until week 8
ITEMS_PER_SUBJECT = 200  # item numbers 0000..0199 per family and subject
# event_id = user_id * EVENT_ID_STRIDE + the event's number within the user
EVENT_ID_STRIDE = 10_000


@dataclass(frozen=True)
class Count:
    """Lifetime events of one kind: a whole number drawn uniformly from ``lo..hi``."""

    lo: int
    hi: int


@dataclass(frozen=True)
class Ratio:
    """Follow-ups of another kind's events: a share (uniform in ``lo..hi``) of its count.

    The n-th follow-up closes the n-th base event (a video finished after it started, on the
    same item), its duration later, so it adds events but not actions to a session.
    """

    of: str
    lo: float
    hi: float


CountSpec = Count | Ratio


@dataclass(frozen=True)
class Habits:
    """When and how a user is active: what a sub-persona varies.

    ``actions_per_session`` counts the events that are not follow-ups (those come on top);
    ``hours`` bounds the hour of day sessions start in (may pass 24 to cross midnight);
    ``active_days`` is how many distinct days of the first week hold sessions; ``days`` says
    which weekdays those are picked from first.
    """

    actions_per_session: tuple[int, int]
    minutes_between_events: tuple[float, float]
    active_days: tuple[int, int]
    hours: tuple[float, float]
    device: Mapping[str, float]
    days: str = "any"
    # 0: sessions start at the beginning of their slot of the day, 1: anywhere in it
    start_jitter: float = 0.5
    # the (only) first session starts right at signup: the "poked around once" pattern
    first_session_at_signup: bool = False
    # share of a user's sessions that ignore the pattern (any day, any hour 8-23), drawn per
    # user from this range: habits are not rules, and the noise keeps sub-personas a zoom-in
    # away rather than obvious
    off_pattern_share: tuple[float, float] = (0.1, 0.5)


@dataclass(frozen=True)
class Outcomes:
    """The leaky user columns: plan, churn. They depend on the persona on purpose."""

    paid_share: float
    annual_share: float  # of paid users
    churn_share: float
    churn_days: float  # mean days after the window until churn


@dataclass(frozen=True)
class SubPersona:
    """A way of doing the parent's activities; counts come from the parent."""

    name: str
    share: float  # of the parent persona's users
    description: str
    habits: Habits
    planted_differences: tuple[str, ...]  # vs its sibling sub-personas
    count_overrides: Mapping[str, CountSpec] = field(default_factory=dict)


@dataclass(frozen=True)
class Persona:
    """A top-level kind of user: what they do, on which subjects, with what outcome."""

    name: str
    share: float  # of all users
    description: str
    counts: Mapping[str, CountSpec]  # kinds left out never happen
    planted_differences: tuple[str, ...]  # vs the rest of the population
    outcomes: Outcomes
    channel: Mapping[str, float]
    habits: Habits | None = None  # when there are no sub-personas
    sub_personas: tuple[SubPersona, ...] = ()
    durations: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # seconds
    subjects: tuple[str, ...] = ()  # preferred subjects, at most 3
    subject_focus: float = 0.0  # share of content events on a preferred subject
    tail_share: float = 0.0  # share of sessions after the window (weeks 2-8)
    tail_days: float = 10.0  # mean days into the tail: activity decays
    anonymous_share: float = 0.0  # users with a page view just before signing up
    is_outlier: bool = False


@dataclass(frozen=True)
class Leaf:
    """One (persona, sub-persona) cell with its share of all users and its habits."""

    persona: Persona
    sub_persona: str
    share: float
    habits: Habits
    counts: Mapping[str, CountSpec]
    planted_differences: tuple[str, ...]


_DESKTOP = {"desktop": 0.75, "mobile": 0.15, "tablet": 0.10}
_MOBILE = {"mobile": 0.80, "desktop": 0.10, "tablet": 0.10}
_MIXED = {"desktop": 0.50, "mobile": 0.35, "tablet": 0.15}

# Sibling sub-personas differ from each other on the same features, so they share one list.
_WATCHING_HABITS = (
    "n_sessions",
    "events_per_session",
    "active_days",
    "share_morning",
    "share_evening",
    "share_weekend",
    "device",
)
_PRACTICE_HABITS = (
    "n_sessions",
    "events_per_session",
    "active_days",
    "n_study_plan_configured",
    "share_afternoon",
    "share_night",
)

PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="casual_visitors",
        share=0.55,
        description="Signed up, looked around once and did nothing much (0-4 events).",
        counts={"page_viewed": Count(0, 3), "search_performed": Count(0, 1)},
        planted_differences=(
            "n_events",
            "n_sessions",
            "active_days",
            "n_page_viewed",
            "n_distinct_items",
            "total_value",
            # one session on signup day with at most 4 events: few per session, and the last
            # event a week before the window ends
            "events_per_session",
            "days_since_last_event",
        ),
        outcomes=Outcomes(paid_share=0.02, annual_share=0.2, churn_share=0.85, churn_days=20),
        channel={
            "paid_search": 0.30,
            "social": 0.35,
            "organic": 0.20,
            "referral": 0.10,
            "email": 0.05,
        },
        habits=Habits(
            actions_per_session=(4, 4),
            minutes_between_events=(0.5, 3.0),
            active_days=(1, 1),
            hours=(0, 24),
            device={"mobile": 0.60, "desktop": 0.30, "tablet": 0.10},
            first_session_at_signup=True,
        ),
        anonymous_share=0.3,
    ),
    Persona(
        name="video_learners",
        share=0.13,
        description="Learn by watching: many videos started and finished, long watch time.",
        counts={
            "video_started": Count(30, 60),
            "video_finished": Ratio("video_started", 0.7, 0.9),
            "page_viewed": Count(5, 15),
            "search_performed": Count(2, 6),
            "exercise_started": Count(0, 3),
            "exercise_submitted": Ratio("exercise_started", 0.3, 0.8),
            "quiz_completed": Count(0, 2),
            "material_downloaded": Count(0, 2),
            "forum_posted": Count(0, 1),
            "study_plan_configured": Count(0, 1),
        },
        planted_differences=(
            "n_video_started",
            "n_video_finished",
            "total_value",
        ),
        outcomes=Outcomes(paid_share=0.35, annual_share=0.4, churn_share=0.3, churn_days=60),
        channel={
            "organic": 0.35,
            "social": 0.25,
            "paid_search": 0.20,
            "referral": 0.10,
            "email": 0.10,
        },
        sub_personas=(
            SubPersona(
                name="evening_bingers",
                share=0.5,
                description="A few long evening sessions, mostly on desktop, at the weekend.",
                habits=Habits(
                    actions_per_session=(8, 24),
                    minutes_between_events=(3.0, 6.0),
                    active_days=(2, 4),
                    hours=(19, 22),
                    device=_DESKTOP,
                    days="weekend_first",
                ),
                planted_differences=_WATCHING_HABITS,
            ),
            SubPersona(
                name="commute_watchers",
                share=0.5,
                description="Many short morning sessions on the phone, on weekdays.",
                habits=Habits(
                    actions_per_session=(3, 10),
                    minutes_between_events=(1.0, 2.5),
                    active_days=(3, 5),
                    hours=(6, 9),
                    device=_MOBILE,
                    days="weekday_first",
                    start_jitter=0.2,
                ),
                planted_differences=_WATCHING_HABITS,
            ),
        ),
        durations={"video_finished": (480, 1500), "exercise_submitted": (60, 300)},
        subjects=("math", "physics"),
        subject_focus=0.75,
        tail_share=0.2,
        tail_days=12,
        anonymous_share=0.1,
    ),
    Persona(
        name="exercise_grinders",
        share=0.12,
        description="Learn by practice: many exercises started and submitted, quizzes.",
        counts={
            "exercise_started": Count(25, 50),
            "exercise_submitted": Ratio("exercise_started", 0.75, 0.95),
            "quiz_completed": Count(6, 15),
            "page_viewed": Count(5, 15),
            "search_performed": Count(2, 6),
            "video_started": Count(0, 5),
            "video_finished": Ratio("video_started", 0.4, 0.8),
            "material_downloaded": Count(0, 2),
            "forum_posted": Count(0, 1),
        },
        planted_differences=(
            "n_exercise_started",
            "n_exercise_submitted",
            "n_quiz_completed",
            "total_value",
        ),
        outcomes=Outcomes(paid_share=0.45, annual_share=0.5, churn_share=0.25, churn_days=70),
        channel={
            "organic": 0.40,
            "paid_search": 0.20,
            "referral": 0.15,
            "email": 0.15,
            "social": 0.10,
        },
        sub_personas=(
            SubPersona(
                name="planners",
                share=0.55,
                description="Configure a study plan and practise a little every afternoon.",
                habits=Habits(
                    actions_per_session=(5, 14),
                    minutes_between_events=(2.0, 5.0),
                    active_days=(6, 7),
                    hours=(13, 17),
                    device=_MIXED,
                ),
                count_overrides={"study_plan_configured": Count(1, 3)},
                planted_differences=_PRACTICE_HABITS,
            ),
            SubPersona(
                name="crammers",
                share=0.45,
                description="No plan: everything in one or two late nights, long sessions.",
                habits=Habits(
                    actions_per_session=(10, 30),
                    minutes_between_events=(1.0, 2.5),
                    active_days=(1, 2),
                    hours=(22.5, 25.5),
                    device=_MIXED,
                ),
                planted_differences=_PRACTICE_HABITS,
            ),
        ),
        durations={"exercise_submitted": (120, 600), "video_finished": (180, 600)},
        subjects=("biology", "chemistry"),
        subject_focus=0.75,
        tail_share=0.2,
        tail_days=10,
        anonymous_share=0.1,
    ),
    Persona(
        name="material_collectors",
        share=0.11,
        description="Browse, search and download materials; little video or practice.",
        counts={
            "material_downloaded": Count(15, 40),
            "page_viewed": Count(20, 45),
            "search_performed": Count(10, 25),
            "video_started": Count(0, 3),
            "video_finished": Ratio("video_started", 0.3, 0.7),
            "exercise_started": Count(0, 3),
            "exercise_submitted": Ratio("exercise_started", 0.3, 0.7),
            "quiz_completed": Count(0, 1),
            "forum_posted": Count(0, 1),
            "study_plan_configured": Count(0, 1),
        },
        planted_differences=("n_material_downloaded", "n_page_viewed", "n_search_performed"),
        outcomes=Outcomes(paid_share=0.15, annual_share=0.3, churn_share=0.5, churn_days=40),
        channel={
            "paid_search": 0.35,
            "organic": 0.30,
            "social": 0.15,
            "referral": 0.10,
            "email": 0.10,
        },
        habits=Habits(
            actions_per_session=(6, 12),
            minutes_between_events=(1.0, 4.0),
            active_days=(2, 5),
            hours=(9, 21),
            device={"desktop": 0.60, "mobile": 0.25, "tablet": 0.15},
        ),
        durations={"video_finished": (120, 480), "exercise_submitted": (60, 240)},
        subjects=("history", "geography"),
        subject_focus=0.75,
        tail_share=0.15,
        tail_days=10,
        anonymous_share=0.15,
    ),
    Persona(
        name="community_members",
        share=0.08,
        description="Learn with others: forum posts, some quizzes, many page views.",
        counts={
            "forum_posted": Count(8, 25),
            "quiz_completed": Count(4, 10),
            "page_viewed": Count(15, 35),
            "search_performed": Count(2, 6),
            "video_started": Count(2, 8),
            "video_finished": Ratio("video_started", 0.5, 0.9),
            "exercise_started": Count(1, 5),
            "exercise_submitted": Ratio("exercise_started", 0.5, 0.9),
            "material_downloaded": Count(0, 2),
            "study_plan_configured": Count(0, 1),
        },
        planted_differences=("n_forum_posted", "n_quiz_completed"),
        outcomes=Outcomes(paid_share=0.25, annual_share=0.35, churn_share=0.2, churn_days=90),
        channel={
            "referral": 0.35,
            "social": 0.30,
            "organic": 0.20,
            "email": 0.10,
            "paid_search": 0.05,
        },
        habits=Habits(
            actions_per_session=(4, 8),
            minutes_between_events=(2.0, 6.0),
            active_days=(3, 6),
            hours=(12, 23),
            device={"mobile": 0.60, "desktop": 0.30, "tablet": 0.10},
        ),
        durations={"video_finished": (240, 900), "exercise_submitted": (60, 300)},
        subjects=("portuguese", "english"),
        subject_focus=0.75,
        tail_share=0.3,
        tail_days=18,
        anonymous_share=0.1,
    ),
    Persona(
        name="bots",
        share=0.01,
        description="Crawlers: 500-3000 page views and searches, every day, at any hour.",
        counts={"page_viewed": Count(400, 2000), "search_performed": Count(100, 1000)},
        planted_differences=(
            "n_events",
            "n_page_viewed",
            "n_search_performed",
            "n_sessions",
            "active_days",
            "days_since_last_event",
        ),
        outcomes=Outcomes(paid_share=0.0, annual_share=0.0, churn_share=0.0, churn_days=1),
        channel={"organic": 0.80, "referral": 0.20},
        habits=Habits(
            actions_per_session=(40, 80),
            minutes_between_events=(0.05, 0.5),
            active_days=(7, 7),
            hours=(0, 24),
            device={"desktop": 1.0},
            start_jitter=1.0,
            off_pattern_share=(0.0, 0.0),
        ),
        tail_share=0.5,
        tail_days=30,
        is_outlier=True,
    ),
)


def leaves(personas: tuple[Persona, ...] = PERSONAS) -> Iterator[Leaf]:
    """Every (persona, sub-persona) cell; a persona without sub-personas is its own leaf."""
    for persona in personas:
        if not persona.sub_personas:
            yield Leaf(
                persona=persona,
                sub_persona=persona.name,
                share=persona.share,
                habits=persona.habits,
                counts=persona.counts,
                planted_differences=persona.planted_differences,
            )
        for sub in persona.sub_personas:
            yield Leaf(
                persona=persona,
                sub_persona=sub.name,
                share=persona.share * sub.share,
                habits=sub.habits,
                counts={**persona.counts, **sub.count_overrides},
                planted_differences=sub.planted_differences,
            )


def planted_differences(name: str, personas: tuple[Persona, ...] = PERSONAS) -> tuple[str, ...]:
    """The features a persona (vs everyone) or sub-persona (vs its siblings) differs on."""
    for persona in personas:
        if persona.name == name:
            return persona.planted_differences
        for sub in persona.sub_personas:
            if sub.name == name:
                return sub.planted_differences
    raise KeyError(f"no persona or sub-persona named {name!r}")


def max_events_per_user(leaf: Leaf) -> int:
    """The most lifetime events a user of this leaf can get (bounds event_id)."""
    total = 0
    for spec in leaf.counts.values():
        if isinstance(spec, Count):
            total += spec.hi
        else:
            base = leaf.counts[spec.of]
            total += math.floor(base.hi * spec.hi + 0.5)
    return total


def _check_weights(where: str, weights: Mapping[str, float], allowed: tuple[str, ...]) -> None:
    unknown = set(weights) - set(allowed)
    if unknown:
        raise ValueError(f"{where}: unknown values {sorted(unknown)}; allowed: {list(allowed)}")
    if any(w < 0 for w in weights.values()) or not math.isclose(sum(weights.values()), 1.0):
        raise ValueError(f"{where}: weights must be >= 0 and sum to 1, got {dict(weights)}")


def _check_habits(where: str, habits: Habits) -> None:
    lo, hi = habits.actions_per_session
    if not 1 <= lo <= hi:
        raise ValueError(f"{where}: actions_per_session must be 1 <= lo <= hi")
    lo, hi = habits.minutes_between_events
    # the gap between events of a session stays below 30 minutes even with jitter (x1.5)
    if not 0 < lo <= hi < 20:
        raise ValueError(f"{where}: minutes_between_events must be 0 < lo <= hi < 20")
    lo, hi = habits.active_days
    if not 1 <= lo <= hi <= WINDOW_DAYS:
        raise ValueError(f"{where}: active_days must be 1 <= lo <= hi <= {WINDOW_DAYS}")
    lo, hi = habits.hours
    if not 0 <= lo < hi <= 48:
        raise ValueError(f"{where}: hours must be 0 <= lo < hi <= 48")
    if habits.days not in DAY_ORDERS:
        raise ValueError(f"{where}: days must be one of {DAY_ORDERS}, got {habits.days!r}")
    if not 0 <= habits.start_jitter <= 1:
        raise ValueError(f"{where}: start_jitter must be in [0, 1]")
    lo, hi = habits.off_pattern_share
    if not 0 <= lo <= hi <= 1:
        raise ValueError(f"{where}: off_pattern_share must be 0 <= lo <= hi <= 1")
    _check_weights(f"{where}: device", habits.device, DEVICES)


def validate_personas(personas: tuple[Persona, ...] = PERSONAS) -> None:
    """Raise ValueError if the spec is inconsistent (shares, kinds, ranges, names)."""
    if not math.isclose(sum(p.share for p in personas), 1.0):
        raise ValueError("persona shares must sum to 1")
    names = [p.name for p in personas] + [s.name for p in personas for s in p.sub_personas]
    if len(names) != len(set(names)):
        raise ValueError("persona and sub-persona names must be unique")
    for persona in personas:
        where = f"persona {persona.name!r}"
        if persona.sub_personas:
            if persona.habits is not None:
                raise ValueError(f"{where}: habits belong to its sub-personas")
            if not math.isclose(sum(s.share for s in persona.sub_personas), 1.0):
                raise ValueError(f"{where}: sub-persona shares must sum to 1")
        elif persona.habits is None:
            raise ValueError(f"{where}: needs habits (it has no sub-personas)")
        _check_weights(f"{where}: channel", persona.channel, CHANNELS)
        if len(persona.subjects) > 3 or set(persona.subjects) - set(SUBJECTS):
            raise ValueError(f"{where}: at most 3 subjects, from {SUBJECTS}")
        missing = set(DURATION_KINDS) - set(persona.durations)
        if any(kind in persona.counts for kind in missing):
            raise ValueError(f"{where}: needs durations for {sorted(missing)}")
        for kind, (lo, hi) in persona.durations.items():
            # a follow-up comes its duration after its action: under 30 minutes it stays
            # in the same session
            if kind not in DURATION_KINDS or not 0 < lo <= hi < 29 * 60:
                raise ValueError(
                    f"{where}: durations are for {DURATION_KINDS}, 0 < lo <= hi < 1740 s"
                )
        outcomes = persona.outcomes
        for value in (
            outcomes.paid_share,
            outcomes.annual_share,
            outcomes.churn_share,
            persona.subject_focus,
            persona.tail_share,
            persona.anonymous_share,
        ):
            if not 0 <= value <= 1:
                raise ValueError(f"{where}: shares must be in [0, 1]")
    for leaf in leaves(personas):
        where = f"sub-persona {leaf.sub_persona!r}"
        _check_habits(where, leaf.habits)
        for kind, spec in leaf.counts.items():
            if kind not in EVENT_KINDS:
                raise ValueError(f"{where}: unknown event kind {kind!r}")
            if isinstance(spec, Ratio):
                if not isinstance(leaf.counts.get(spec.of), Count):
                    raise ValueError(f"{where}: {kind} is a ratio of {spec.of}, not a Count")
                if not 0 <= spec.lo <= spec.hi <= 1:
                    raise ValueError(f"{where}: ratio for {kind} must be 0 <= lo <= hi <= 1")
            elif not 0 <= spec.lo <= spec.hi:
                raise ValueError(f"{where}: count for {kind} must be 0 <= lo <= hi")
        if max_events_per_user(leaf) >= EVENT_ID_STRIDE:
            raise ValueError(f"{where}: more than {EVENT_ID_STRIDE - 1} events per user")
