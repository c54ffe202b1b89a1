"""Properties of business-time arithmetic over 2025–2026 with several working-hour shapes."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from calendar_facts import HOLIDAYS_2025, OFF_WEEKDAYS_2026, WORKDAYS_2025, WORKDAYS_2026
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.calendar import BusinessCalendar, DayRules, WorkingHours

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOLIDAYS = HOLIDAYS_2025 | OFF_WEEKDAYS_2026
WORKDAYS = WORKDAYS_2025 | WORKDAYS_2026
KNOWN = frozenset({2025, 2026})


def calendar(spec: list[str], weekdays: range = range(5)) -> BusinessCalendar:
    return BusinessCalendar(
        SHANGHAI, WorkingHours.parse(spec), DayRules(frozenset(weekdays), HOLIDAYS, WORKDAYS, KNOWN)
    )


CALENDARS = st.sampled_from(
    [
        calendar(["09:00-18:00"]),
        calendar(["10:00-19:30"]),
        calendar(["09:00-12:00", "13:00-18:00"]),
        calendar(["08:30-12:00", "12:00-12:30", "14:00-17:45"]),
        calendar(["09:00-18:00"], range(6)),
    ]
)
# Starts in 2025; amounts small enough that results stay inside 2026.
STARTS = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 12, 31, 23, 59)).map(
    lambda naive: naive.replace(tzinfo=SHANGHAI)
)
WHOLE_MINUTES = STARTS.map(lambda instant: instant.replace(second=0, microsecond=0))
MINUTES = st.integers(min_value=0, max_value=40_000)
DAYS = st.integers(min_value=0, max_value=60)

PROPERTY = settings(max_examples=200, deadline=None, database=None)


@PROPERTY
@given(CALENDARS, STARTS, STARTS, MINUTES)
def test_business_minutes_monotonic_in_start(
    cal: BusinessCalendar, a: datetime, b: datetime, m: int
) -> None:
    early, late = sorted((a, b))
    assert cal.add_business_minutes(early, m) <= cal.add_business_minutes(late, m)


@PROPERTY
@given(CALENDARS, STARTS, STARTS, DAYS)
def test_working_days_monotonic_in_start(
    cal: BusinessCalendar, a: datetime, b: datetime, n: int
) -> None:
    early, late = sorted((a, b))
    assert cal.add_working_days(early, n) <= cal.add_working_days(late, n)


@PROPERTY
@given(CALENDARS, STARTS, MINUTES, MINUTES)
def test_business_minutes_monotonic_in_amount(
    cal: BusinessCalendar, start: datetime, m1: int, m2: int
) -> None:
    small, large = sorted((m1, m2))
    assert start <= cal.add_business_minutes(start, small) <= cal.add_business_minutes(start, large)


@PROPERTY
@given(CALENDARS, STARTS, DAYS, DAYS)
def test_working_days_monotonic_in_amount(
    cal: BusinessCalendar, start: datetime, n1: int, n2: int
) -> None:
    small, large = sorted((n1, n2))
    assert start <= cal.add_working_days(start, small) <= cal.add_working_days(start, large)


@PROPERTY
@given(CALENDARS, STARTS, MINUTES)
def test_business_minute_deadline_is_in_working_time(
    cal: BusinessCalendar, start: datetime, m: int
) -> None:
    assert cal.is_working_time(cal.add_business_minutes(start, m))


@PROPERTY
@given(CALENDARS, STARTS, DAYS)
def test_working_day_deadline_is_in_working_time(
    cal: BusinessCalendar, start: datetime, n: int
) -> None:
    assert cal.is_working_time(cal.add_working_days(start, n))


@PROPERTY
@given(CALENDARS, STARTS, MINUTES, MINUTES)
def test_business_minutes_compose(cal: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    assert cal.add_business_minutes(
        cal.add_business_minutes(start, a), b
    ) == cal.add_business_minutes(start, a + b)


@PROPERTY
@given(CALENDARS, STARTS, DAYS, DAYS)
def test_working_days_compose_from_working_time(
    cal: BusinessCalendar, start: datetime, a: int, b: int
) -> None:
    inside = cal.next_working_start(start)
    assert cal.add_working_days(cal.add_working_days(inside, a), b) == cal.add_working_days(
        inside, a + b
    )


@PROPERTY
@given(CALENDARS, STARTS, MINUTES)
def test_between_inverts_add(cal: BusinessCalendar, start: datetime, m: int) -> None:
    deadline = cal.add_business_minutes(start, m)
    assert cal.business_minutes_between(cal.next_working_start(start), deadline) == m
    assert cal.business_minutes_between(start, deadline) == m


@PROPERTY
@given(CALENDARS, WHOLE_MINUTES, WHOLE_MINUTES, st.integers(min_value=1, max_value=10_000))
def test_pausing_without_a_gap_keeps_the_deadline(
    cal: BusinessCalendar, a: datetime, b: datetime, rest: int
) -> None:
    """A clock stopped and resumed at the same instant ends where it would have ended."""
    start, pause = sorted((a, b))
    used = cal.business_minutes_between(start, pause)
    assert cal.add_business_minutes(pause, rest) == cal.add_business_minutes(start, used + rest)


@PROPERTY
@given(CALENDARS, STARTS, DAYS)
def test_working_days_and_their_business_minutes_end_at_the_same_instant(
    cal: BusinessCalendar, start: datetime, n: int
) -> None:
    """The two ways a working-day deadline is reached (counted in days, or in the business minutes
    left after a pause) give one instant, whichever side of a close the days end on."""
    due = cal.add_working_days(start, n)
    inside = cal.next_working_start(start)
    assert cal.add_business_minutes(inside, cal.business_minutes_between(inside, due)) == due
