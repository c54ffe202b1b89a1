"""The package-derived official calendar agrees with the hand-written facts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from calendar_facts import HOLIDAYS_2025, OFF_WEEKDAYS_2026, WORKDAYS_2025, WORKDAYS_2026

from server.adapters.holiday_source import statutory_days, supported_years
from server.domain.calendar import CalendarMissingError, DayRules


def days_of(year: int) -> list[date]:
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]


@pytest.fixture(scope="module")
def official() -> DayRules:
    return statutory_days([2025, 2026, 2027])


def test_2025_matches_the_scenario_facts(official: DayRules) -> None:
    assert {d for d in official.holidays if d.year == 2025} == HOLIDAYS_2025
    assert {d for d in official.workdays if d.year == 2025} == WORKDAYS_2025


def test_2026_matches_the_stack_notes(official: DayRules) -> None:
    assert {d for d in official.holidays if d.year == 2026 and d.weekday() < 5} == OFF_WEEKDAYS_2026
    assert {d for d in official.workdays if d.year == 2026} == WORKDAYS_2026


def test_spot_checks(official: DayRules) -> None:
    assert official.is_working_day(date(2025, 10, 11))  # Sat, make-up day
    assert not official.is_working_day(date(2025, 10, 8))  # Wed, National Day
    assert official.is_working_day(date(2026, 1, 4))  # Sun, make-up day
    assert official.is_working_day(date(2025, 3, 4))  # ordinary Tuesday
    assert not official.is_working_day(date(2025, 3, 8))  # ordinary Saturday


def test_every_day_of_2025_agrees_with_the_facts(official: DayRules) -> None:
    for day in days_of(2025):
        expected = day in WORKDAYS_2025 or (day.weekday() < 5 and day not in HOLIDAYS_2025)
        assert official.is_working_day(day) == expected, day


def test_unpublished_year_is_not_known(official: DayRules) -> None:
    assert official.known_years == frozenset({2025, 2026})
    assert 2027 not in supported_years()
    assert 2025 in supported_years()
    with pytest.raises(CalendarMissingError):
        official.is_working_day(date(2027, 1, 4))
