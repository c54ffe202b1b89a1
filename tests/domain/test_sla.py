"""Clocks through their lifecycle, with instants written by hand from the 2025 calendar."""

from __future__ import annotations

from datetime import datetime

import pytest
from test_calendar import NINE_TO_SIX, RULES_2025, RULES_2026, SHANGHAI

from server.domain import sla
from server.domain.calendar import BusinessCalendar, DayRules
from server.domain.sla import SlaStatus, Unit

CAL = BusinessCalendar(SHANGHAI, NINE_TO_SIX, RULES_2025.merged(RULES_2026))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def test_a_stopped_and_resumed_closure_clock_keeps_the_time_it_used():
    clock = sla.start("closure", 3, Unit.WORKING_DAYS, at("2025-03-04 10:00"), CAL, 20)
    assert clock.due_at == at("2025-03-07 10:00")
    paused = sla.pause(clock, at("2025-03-05 10:00"), CAL)
    assert paused.used == 540 and paused.due_at is None
    assert sla.status(paused, at("2025-03-09 12:00")) is SlaStatus.PAUSED
    resumed = sla.resume(paused, at("2025-03-10 14:00"), CAL, 20)
    assert resumed.due_at == at("2025-03-12 14:00")


@pytest.mark.parametrize(
    ("paused", "resumed"),
    [
        ("2025-03-04 19:00", "2025-03-04 20:00"),  # Tuesday evening: 540 business minutes left
        ("2025-03-05 18:00", "2025-03-05 18:30"),  # at Wednesday's close: none left
    ],
)
def test_a_pause_outside_working_time_leaves_the_deadline_where_it_was(paused, resumed):
    """Issue 11 item 4: straight, Thursday 09:00; suspended and resumed with no working time
    between, the remaining minutes used to end at Wednesday 18:00, the same business instant."""
    clock = sla.start("closure", 3, Unit.WORKING_DAYS, at("2025-03-03 09:00"), CAL, 20)
    assert clock.due_at == at("2025-03-06 09:00")
    resumed_clock = sla.resume(sla.pause(clock, at(paused), CAL), at(resumed), CAL, 20)
    assert resumed_clock.due_at == at("2025-03-06 09:00")


def test_a_response_count_that_runs_out_at_the_close_is_due_at_the_next_opening():
    clock = sla.start("response", 120, Unit.BUSINESS_MINUTES, at("2025-03-07 16:00"), CAL, 20)
    assert clock.due_at == at("2025-03-10 09:00")  # Friday's close is Monday's opening
    assert sla.status(clock, at("2025-03-07 18:30")) is SlaStatus.DUE_SOON
    assert sla.status(clock, at("2025-03-10 09:00")) is SlaStatus.BREACHED


@pytest.mark.parametrize(
    ("received", "due"),
    [
        ("2025-10-04 11:00", "2025-10-13 09:00"),  # received on a holiday: starts Thu 10-09 09:00
        (
            "2025-09-29 18:30",
            "2025-10-11 09:00",
        ),  # after hours, across National Day, make-up Saturday
        ("2025-09-30 10:00", "2025-10-11 10:00"),
    ],
)
def test_an_unpaused_working_day_clock_ends_at_the_same_clock_time(received, due):
    assert sla.start("closure", 3, Unit.WORKING_DAYS, at(received), CAL, 20).due_at == at(due)


def test_warning_at_a_share_of_the_interval_then_breach():
    clock = sla.start("response", 120, Unit.BUSINESS_MINUTES, at("2025-09-26 17:55"), CAL, 20)
    assert clock.due_at == at("2025-09-28 10:55")  # Friday 5 minutes, then the make-up Sunday
    assert clock.warn_at == at("2025-09-28 10:31")  # 96 of 120 business minutes used
    assert sla.status(clock, at("2025-09-28 10:30")) is SlaStatus.ON_TRACK
    assert sla.status(clock, at("2025-09-28 10:31")) is SlaStatus.DUE_SOON
    assert sla.status(clock, at("2025-09-28 10:55")) is SlaStatus.BREACHED
    later = at("2025-10-01 00:00")
    assert sla.status(sla.stop(clock, at("2025-09-28 10:54"), CAL), later) is SlaStatus.MET
    assert sla.status(sla.stop(clock, at("2025-09-28 11:00"), CAL), later) is SlaStatus.MET_LATE


def test_a_natural_day_clock_runs_through_the_holiday():
    clock = sla.start("repeat", 7, Unit.NATURAL_DAYS, at("2025-09-30 15:00"), CAL, 20)
    assert clock.due_at == at("2025-10-07 15:00")


def test_an_unlimited_clock_never_falls_due():
    clock = sla.start("closure", None, Unit.WORKING_DAYS, at("2025-03-04 10:00"), CAL, 20)
    assert clock.due_at is None and sla.status(clock, at("2030-01-01 00:00")) is SlaStatus.ON_TRACK


def test_a_deadline_in_an_unpublished_year_is_missing_until_that_year_is_loaded():
    clock = sla.start("closure", 3, Unit.WORKING_DAYS, at("2026-12-30 10:00"), CAL, 20)
    assert clock.due_at is None and clock.missing_year == 2027
    assert sla.status(clock, at("2026-12-30 11:00")) is SlaStatus.CALENDAR_MISSING
    rules_2027 = DayRules(
        holidays=frozenset({datetime(2027, 1, 1).date()}), known_years=frozenset({2027})
    )
    loaded = BusinessCalendar(SHANGHAI, NINE_TO_SIX, CAL.days.merged(rules_2027))
    # Wed 12-30, Thu 12-31, (Fri 01-01 off), Mon 01-04, Tue 01-05: the third working day after is
    # Tue.
    assert sla.schedule(clock, loaded, 20).due_at == at("2027-01-05 10:00")


def test_stopping_adds_the_last_running_stretch_to_the_time_used():
    clock = sla.start("response", 120, Unit.BUSINESS_MINUTES, at("2025-09-26 17:55"), CAL, 20)
    stopped = sla.stop(clock, at("2025-09-28 10:40"), CAL)  # 5 on Friday, 100 on the make-up Sunday
    assert (stopped.used, stopped.stopped_at) == (105, at("2025-09-28 10:40"))
    assert stopped.due_at == at("2025-09-28 10:55")
    assert sla.stop(stopped, at("2025-09-29 10:00"), CAL) == stopped  # stopped once, stays


def test_a_clock_stopped_after_the_close_that_used_exactly_its_budget_is_met():
    clock = sla.start("response", 120, Unit.BUSINESS_MINUTES, at("2025-03-07 16:00"), CAL, 20)
    stopped = sla.stop(clock, at("2025-03-07 19:00"), CAL)  # due Monday 09:00; 120 minutes used
    assert (stopped.used, sla.status(stopped, at("2025-03-10 12:00"))) == (120, SlaStatus.MET)
    late = sla.stop(clock, at("2025-03-10 09:01"), CAL)
    assert (late.used, sla.status(late, at("2025-03-10 12:00"))) == (121, SlaStatus.MET_LATE)


def test_a_cancelled_clock_is_neither_met_nor_breached():
    clock = sla.start("response", 120, Unit.BUSINESS_MINUTES, at("2025-03-04 10:00"), CAL, 20)
    cancelled = sla.cancel(clock, at("2025-03-04 13:00"), CAL)  # an hour past its deadline
    assert cancelled.used == 180
    assert sla.status(cancelled, at("2025-03-05 10:00")) is SlaStatus.CANCELLED
    met = sla.stop(clock, at("2025-03-04 11:00"), CAL)
    assert sla.cancel(met, at("2025-03-04 13:00"), CAL) == met  # met before the cancel: stays met
