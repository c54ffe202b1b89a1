"""Business-time arithmetic against hand-computed cases.

Expected instants are written by hand (docs/deadline-scenarios.md verbatim, plus our own cases
checked on a paper calendar); none is computed with the code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from calendar_facts import HOLIDAYS_2025, OFF_WEEKDAYS_2026, WORKDAYS_2025, WORKDAYS_2026

from server.domain.calendar import (
    BusinessCalendar,
    CalendarMissingError,
    DayRules,
    WorkingHours,
    add_natural_days,
    add_natural_hours,
)
from server.domain.errors import DomainError

SHANGHAI = ZoneInfo("Asia/Shanghai")


RULES_2025 = DayRules(holidays=HOLIDAYS_2025, workdays=WORKDAYS_2025, known_years=frozenset({2025}))
RULES_2026 = DayRules(
    holidays=OFF_WEEKDAYS_2026, workdays=WORKDAYS_2026, known_years=frozenset({2026})
)
RULES_2025_2026 = RULES_2025.merged(RULES_2026)

NINE_TO_SIX = WorkingHours.parse(["09:00-18:00"])
TEN_TO_HALF_SEVEN = WorkingHours.parse(["10:00-19:30"])
LUNCH_BREAK = WorkingHours.parse(["09:00-12:00", "13:00-18:00"])

HOURS = {"09–18": NINE_TO_SIX, "10:00–19:30": TEN_TO_HALF_SEVEN}
STANDARD = BusinessCalendar(SHANGHAI, NINE_TO_SIX, RULES_2025)


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# (case, received, hours, response due, closure working days, closure due), copied verbatim
# from docs/deadline-scenarios.md.
ORACLE = [
    (1, "2025-09-30 10:00", "09–18", "2025-09-30 12:00", 3, "2025-10-11 10:00"),
    (2, "2025-09-26 17:55", "09–18", "2025-09-28 10:55", 3, "2025-09-30 17:55"),
    (3, "2025-10-10 17:55", "09–18", "2025-10-11 10:55", 3, "2025-10-14 17:55"),
    (4, "2025-10-04 11:00", "09–18", "2025-10-09 11:00", 3, "2025-10-13 09:00"),
    (5, "2025-04-30 16:30", "09–18", "2025-05-06 09:30", 7, "2025-05-14 16:30"),
    (6, "2025-04-27 15:00", "09–18", "2025-04-27 17:00", 3, "2025-04-30 15:00"),
    (7, "2025-06-30 19:00", "10:00–19:30", "2025-07-01 11:30", 3, "2025-07-03 19:00"),
    (8, "2025-06-30 09:00", "10:00–19:30", "2025-06-30 12:00", 3, "2025-07-03 10:00"),
    (9, "2025-05-30 17:00", "09–18", "2025-06-03 10:00", 3, "2025-06-05 17:00"),
    (10, "2025-01-27 10:00", "09–18", "2025-01-27 12:00", 3, "2025-02-07 10:00"),
    (11, "2025-02-08 17:00", "09–18", "2025-02-10 10:00", 3, "2025-02-12 17:00"),
    (12, "2025-09-29 18:30", "09–18", "2025-09-30 11:00", 3, "2025-10-11 09:00"),
]

RESPONSE_MINUTES = 120


def oracle_params() -> list[object]:
    params: list[object] = []
    for case, received, hours, response_due, wd, closure_due in ORACLE:
        cal = BusinessCalendar(SHANGHAI, HOURS[hours], RULES_2025)
        params.append(
            pytest.param(
                cal, received, "minutes", RESPONSE_MINUTES, response_due, id=f"case{case}-response"
            )
        )
        params.append(
            pytest.param(
                cal, received, "working_days", wd, closure_due, id=f"case{case}-closure+{wd}WD"
            )
        )
    return params


def due(cal: BusinessCalendar, received: str, clock: str, amount: int) -> datetime:
    start = local(received)
    if clock == "minutes":
        return cal.add_business_minutes(start, amount)
    return cal.add_working_days(start, amount)


@pytest.mark.parametrize(("cal", "received", "clock", "amount", "expected"), oracle_params())
def test_deadlines_2025_oracle(
    cal: BusinessCalendar, received: str, clock: str, amount: int, expected: str
) -> None:
    result = due(cal, received, clock, amount)
    assert result == local(expected)
    assert result.tzinfo is UTC


SATURDAY_DEALER = BusinessCalendar(
    SHANGHAI,
    NINE_TO_SIX,
    DayRules(frozenset(range(6)), RULES_2025.holidays, RULES_2025.workdays, RULES_2025.known_years),
)
REGION = BusinessCalendar(SHANGHAI, TEN_TO_HALF_SEVEN, RULES_2025)
LUNCH = BusinessCalendar(SHANGHAI, LUNCH_BREAK, RULES_2025)
BOTH_YEARS = BusinessCalendar(SHANGHAI, NINE_TO_SIX, RULES_2025_2026)


@pytest.mark.parametrize(
    ("cal", "received", "clock", "amount", "expected"),
    [
        # Friday 17:55, no holiday nearby: 5 minutes on Friday, 115 on Monday.
        pytest.param(
            STANDARD, "2025-03-07 17:55", "minutes", 120, "2025-03-10 10:55", id="fri-1755-response"
        ),
        pytest.param(
            STANDARD,
            "2025-03-07 17:55",
            "working_days",
            3,
            "2025-03-12 17:55",
            id="fri-1755-closure",
        ),
        # Started 2025-09-30 late afternoon, across National Day (10-01..08) to make-up Sat 10-11.
        pytest.param(
            STANDARD,
            "2025-09-30 17:30",
            "minutes",
            120,
            "2025-10-09 10:30",
            id="national-day-response",
        ),
        pytest.param(
            STANDARD,
            "2025-09-30 17:30",
            "working_days",
            3,
            "2025-10-11 17:30",
            id="national-day-closure",
        ),
        # A count running out exactly at 18:00 ends at the next opening, as working days do.
        pytest.param(
            STANDARD,
            "2025-03-03 16:00",
            "minutes",
            120,
            "2025-03-04 09:00",
            id="ends-at-window-end",
        ),
        pytest.param(
            STANDARD,
            "2025-03-07 16:00",
            "minutes",
            120,
            "2025-03-10 09:00",
            id="ends-at-friday-close",
        ),
        # 18:00 is outside the half-open window: start moves to 09:00 next day.
        pytest.param(
            STANDARD,
            "2025-03-03 18:00",
            "minutes",
            120,
            "2025-03-04 11:00",
            id="start-at-window-end",
        ),
        pytest.param(
            STANDARD,
            "2025-03-03 18:00",
            "working_days",
            1,
            "2025-03-05 09:00",
            id="start-at-window-end-wd",
        ),
        # Zero amounts give the moved start.
        pytest.param(
            STANDARD, "2025-03-08 12:00", "minutes", 0, "2025-03-10 09:00", id="zero-minutes-moves"
        ),
        pytest.param(
            STANDARD,
            "2025-03-04 12:00",
            "working_days",
            0,
            "2025-03-04 12:00",
            id="zero-days-inside",
        ),
        # 10:00–19:30 region.
        pytest.param(
            REGION,
            "2025-03-07 19:00",
            "minutes",
            120,
            "2025-03-10 11:30",
            id="region-1900-response",
        ),
        pytest.param(
            REGION,
            "2025-03-07 19:30",
            "minutes",
            120,
            "2025-03-10 12:00",
            id="region-1930-response",
        ),
        pytest.param(
            REGION,
            "2025-03-07 19:30",
            "working_days",
            3,
            "2025-03-13 10:00",
            id="region-1930-closure",
        ),
        # Dealer also open on Saturdays.
        pytest.param(
            SATURDAY_DEALER,
            "2025-03-07 17:00",
            "minutes",
            120,
            "2025-03-08 10:00",
            id="saturday-response",
        ),
        pytest.param(
            SATURDAY_DEALER,
            "2025-03-07 17:00",
            "working_days",
            3,
            "2025-03-11 17:00",
            id="saturday-closure",
        ),
        # ...but not on a Saturday inside the Dragon Boat holiday (05-31..06-02).
        pytest.param(
            SATURDAY_DEALER,
            "2025-05-30 17:00",
            "minutes",
            120,
            "2025-06-03 10:00",
            id="saturday-holiday-response",
        ),
        # Lunch break 12:00–13:00.
        pytest.param(
            LUNCH, "2025-03-03 11:00", "minutes", 120, "2025-03-03 14:00", id="lunch-across"
        ),
        pytest.param(
            LUNCH, "2025-03-03 10:00", "minutes", 120, "2025-03-03 13:00", id="lunch-ends-at-noon"
        ),
        pytest.param(
            LUNCH, "2025-03-03 12:30", "minutes", 120, "2025-03-03 15:00", id="lunch-start-in-break"
        ),
        pytest.param(
            LUNCH,
            "2025-03-03 12:30",
            "working_days",
            3,
            "2025-03-06 13:00",
            id="lunch-closure-from-break",
        ),
        pytest.param(
            LUNCH, "2025-03-03 17:00", "minutes", 480, "2025-03-04 17:00", id="lunch-full-day"
        ),
        # Into 2026 with both years loaded: 2025-12-31 then 2026-01-01/02 off, Sun 01-04 a make-up
        # day.
        pytest.param(
            BOTH_YEARS,
            "2025-12-31 17:00",
            "minutes",
            120,
            "2026-01-04 10:00",
            id="into-2026-response",
        ),
        pytest.param(
            BOTH_YEARS,
            "2025-12-31 10:00",
            "working_days",
            3,
            "2026-01-06 10:00",
            id="into-2026-closure",
        ),
    ],
)
def test_own_cases(
    cal: BusinessCalendar, received: str, clock: str, amount: int, expected: str
) -> None:
    assert due(cal, received, clock, amount) == local(expected)


def test_stopped_clock_resumes_with_remaining_business_minutes() -> None:
    received, paused, resumed = (
        local("2025-03-04 10:00"),
        local("2025-03-05 10:00"),
        local("2025-03-10 14:00"),
    )
    assert STANDARD.add_working_days(received, 3) == local("2025-03-07 10:00")
    used = STANDARD.business_minutes_between(received, paused)
    assert used == 540
    assert STANDARD.add_business_minutes(resumed, 3 * 540 - used) == local("2025-03-12 14:00")


def test_natural_days_ignore_holidays() -> None:
    result = add_natural_days(local("2025-09-30 15:00"), 7)
    assert result == local("2025-10-07 15:00")
    assert result.tzinfo is UTC


def test_natural_hours_ignore_holidays() -> None:
    assert add_natural_hours(local("2025-10-01 10:00"), 24) == local("2025-10-02 10:00")


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        pytest.param("2025-03-04 10:00", "2025-03-04 10:00", 0, id="empty"),
        pytest.param("2025-03-07 17:00", "2025-03-10 10:00", 120, id="over-weekend"),
        pytest.param("2025-10-01 09:00", "2025-10-08 18:00", 0, id="inside-holiday"),
        pytest.param("2025-03-04 10:00", "2025-03-04 10:00:59", 0, id="partial-minute"),
        pytest.param("2025-03-03 20:00", "2025-03-04 08:00", 0, id="overnight"),
    ],
)
def test_business_minutes_between(start: str, end: str, minutes: int) -> None:
    assert STANDARD.business_minutes_between(local(start), local(end)) == minutes


def test_business_minutes_between_with_lunch_break() -> None:
    assert (
        LUNCH.business_minutes_between(local("2025-03-03 11:30"), local("2025-03-03 13:30")) == 60
    )


def test_deadline_in_unpublished_year_is_refused() -> None:
    with pytest.raises(CalendarMissingError) as caught:
        BOTH_YEARS.add_working_days(local("2026-12-28 10:00"), 7)
    assert caught.value.year == 2027
    assert isinstance(caught.value, DomainError)
    assert "2027" in str(caught.value) and "tenant admin" in str(caught.value)
    with pytest.raises(CalendarMissingError) as caught:
        BOTH_YEARS.add_business_minutes(local("2026-12-31 17:00"), 120)
    assert caught.value.year == 2027


def test_unknown_year_is_refused_even_for_a_plain_weekday() -> None:
    with pytest.raises(CalendarMissingError) as caught:
        RULES_2025.is_working_day(date(2024, 12, 31))
    assert caught.value.year == 2024


def test_calendar_without_working_days_does_not_loop_forever() -> None:
    rules = DayRules(working_weekdays=frozenset(), known_years=frozenset(range(2000, 2100)))
    cal = BusinessCalendar(SHANGHAI, NINE_TO_SIX, rules)
    with pytest.raises(ValueError, match="no working day"):
        cal.add_business_minutes(local("2025-03-03 10:00"), 1)
    with pytest.raises(ValueError, match="no working day"):
        cal.add_working_days(local("2025-03-03 10:00"), 1)


def test_working_time_is_half_open() -> None:
    assert STANDARD.is_working_time(local("2025-03-03 09:00"))
    assert STANDARD.is_working_time(local("2025-03-03 17:59"))
    assert not STANDARD.is_working_time(local("2025-03-03 18:00"))
    assert not STANDARD.is_working_time(local("2025-10-08 10:00"))
    assert STANDARD.is_working_time(local("2025-10-11 10:00"))


def test_next_working_start() -> None:
    inside = local("2025-03-03 10:15")
    assert STANDARD.next_working_start(inside) == inside
    assert STANDARD.next_working_start(inside).tzinfo is UTC
    assert STANDARD.next_working_start(local("2025-09-29 18:30")) == local("2025-09-30 09:00")


def test_accepts_any_timezone_and_returns_utc() -> None:
    start = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    assert STANDARD.add_business_minutes(start, 120) == datetime(2025, 9, 30, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda: STANDARD.add_business_minutes(datetime(2025, 3, 3, 10), 1), id="naive-minutes"
        ),
        pytest.param(
            lambda: STANDARD.add_working_days(datetime(2025, 3, 3, 10), 1), id="naive-days"
        ),
        pytest.param(
            lambda: STANDARD.business_minutes_between(
                local("2025-03-03 10:00"), datetime(2025, 3, 3, 11)
            ),
            id="naive-between",
        ),
        pytest.param(
            lambda: STANDARD.is_working_time(datetime(2025, 3, 3, 10)), id="naive-working-time"
        ),
        pytest.param(lambda: add_natural_hours(datetime(2025, 3, 3, 10), 1), id="naive-natural"),
        pytest.param(
            lambda: STANDARD.add_business_minutes(local("2025-03-03 10:00"), -1),
            id="negative-minutes",
        ),
        pytest.param(
            lambda: STANDARD.add_working_days(local("2025-03-03 10:00"), -1), id="negative-days"
        ),
        pytest.param(
            lambda: add_natural_days(local("2025-03-03 10:00"), -1), id="negative-natural"
        ),
        pytest.param(
            lambda: STANDARD.business_minutes_between(
                local("2025-03-03 11:00"), local("2025-03-03 10:00")
            ),
            id="end-before-start",
        ),
    ],
)
def test_rejects_naive_datetimes_and_negative_amounts(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_working_hours_parse() -> None:
    assert NINE_TO_SIX.windows == ((time(9), time(18)),)
    assert WorkingHours.parse(["13:00-18:00", "09:00-12:00"]) == LUNCH_BREAK
    assert LUNCH_BREAK.windows == ((time(9), time(12)), (time(13), time(18)))


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        pytest.param([], "at least one window", id="empty"),
        pytest.param(["9-18"], "HH:MM-HH:MM", id="bad-format"),
        pytest.param(["25:00-26:00"], "impossible time", id="bad-time"),
        pytest.param(["18:00-09:00"], "must end after", id="reversed"),
        pytest.param(["09:00-13:00", "12:00-18:00"], "overlaps", id="overlap"),
        pytest.param("09:00-18:00", "list of windows", id="bare-string"),
    ],
)
def test_working_hours_parse_rejects(spec: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        WorkingHours.parse(spec)


def test_tenant_extras_overlay_official_days() -> None:
    extras = DayRules(
        holidays=frozenset({date(2025, 3, 7)}),  # company day off on a Friday
        workdays=frozenset({date(2025, 10, 4)}),  # tenant works one National Day Saturday
    )
    rules = RULES_2025.merged(extras)
    assert not rules.is_working_day(date(2025, 3, 7))
    assert rules.is_working_day(date(2025, 10, 4))
    assert rules.is_working_day(date(2025, 10, 11))  # official make-up day kept
    assert not rules.is_working_day(date(2025, 10, 3))  # official holiday kept
    assert rules.known_years == frozenset({2025})


def test_day_rules_reject_a_date_both_off_and_on() -> None:
    with pytest.raises(ValueError, match="both"):
        DayRules(
            holidays=frozenset({date(2025, 3, 7)}),
            workdays=frozenset({date(2025, 3, 7)}),
            known_years=frozenset({2025}),
        )
