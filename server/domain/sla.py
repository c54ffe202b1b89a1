"""Clocks on a work order: start, pause, resume, stop, and what they say at a given instant.

A clock has a budget, the time it may run, in minutes of its own kind: business minutes for
business-minute and working-day clocks, plain minutes for natural clocks. Pausing keeps the
budget used so far; resuming adds what is left from the resume instant (docs/rules.md#deadlines).
An unpaused working-day clock ends at the same clock time on the Nth working day, exactly as the
rule says, rather than at the equivalent count of business minutes (which would end at 18:00 of
the day before instead of 09:00).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum

from server.domain.calendar import (
    BusinessCalendar,
    CalendarMissingError,
    add_natural_days,
    add_natural_hours,
)


class Unit(str, Enum):
    BUSINESS_MINUTES = "business_minutes"
    WORKING_DAYS = "working_days"
    NATURAL_HOURS = "natural_hours"
    NATURAL_DAYS = "natural_days"

    @property
    def natural(self) -> bool:
        return self in (Unit.NATURAL_HOURS, Unit.NATURAL_DAYS)


class SlaStatus(str, Enum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    BREACHED = "breached"
    MET = "met"
    MET_LATE = "met_late"
    PAUSED = "paused"
    CALENDAR_MISSING = "calendar_missing"
    CANCELLED = "cancelled"  # the order was cancelled: neither met nor breached


@dataclass(frozen=True)
class Clock:
    """One clock's state. `budget`/`due_at` are None while unlimited or while the calendar is
    missing."""

    name: str
    target: int | None
    unit: Unit
    started_at: datetime
    running_since: datetime | None
    used: int = 0
    budget: int | None = None
    due_at: datetime | None = None
    warn_at: datetime | None = None
    stopped_at: datetime | None = None
    missing_year: int | None = None
    cancelled: bool = False

    @property
    def running(self) -> bool:
        return self.running_since is not None and self.stopped_at is None


def start(
    name: str,
    target: int | None,
    unit: Unit,
    at: datetime,
    calendar: BusinessCalendar,
    warn_percent: int,
) -> Clock:
    clock = Clock(name=name, target=target, unit=Unit(unit), started_at=at, running_since=at)
    return schedule(clock, calendar, warn_percent)


def schedule(clock: Clock, calendar: BusinessCalendar, warn_percent: int) -> Clock:
    """(Re)compute budget, due and warning instants; a year with no published calendar is never
    guessed."""
    if clock.target is None or not clock.running:
        return replace(clock, due_at=None, warn_at=None, missing_year=None)
    try:
        budget = clock.budget if clock.budget is not None else _budget(clock, calendar)
        due = _due(clock, budget, calendar)
        warn = _instant_after(
            clock, calendar, max(budget - budget * warn_percent // 100 - clock.used, 0)
        )
    except CalendarMissingError as missing:
        return replace(clock, due_at=None, warn_at=None, missing_year=missing.year)
    return replace(clock, budget=budget, due_at=due, warn_at=min(warn, due), missing_year=None)


def pause(clock: Clock, at: datetime, calendar: BusinessCalendar) -> Clock:
    if not clock.running:
        return clock
    assert clock.running_since is not None
    try:
        used = clock.used + _elapsed(clock, clock.running_since, at, calendar)
    except CalendarMissingError as missing:
        return replace(
            clock, running_since=None, due_at=None, warn_at=None, missing_year=missing.year
        )
    return replace(clock, used=used, running_since=None, due_at=None, warn_at=None)


def resume(clock: Clock, at: datetime, calendar: BusinessCalendar, warn_percent: int) -> Clock:
    if clock.running or clock.stopped_at is not None:
        return clock
    return schedule(replace(clock, running_since=at), calendar, warn_percent)


def move_due(
    clock: Clock, due: datetime, now: datetime, calendar: BusinessCalendar, warn_percent: int
) -> Clock:
    """The running clock falls due at `due` instead (a customer asked to be called back then): the
    time it has used stays, and its budget becomes that time plus what runs from now to `due`."""
    paused = pause(clock, now, calendar)
    try:
        budget = paused.used + _elapsed(paused, now, due, calendar)
        moved = replace(paused, running_since=now, budget=budget)
        due_at = _instant_after(moved, calendar, budget - moved.used)
        left = max(budget - budget * warn_percent // 100 - moved.used, 0)
        warn = _instant_after(moved, calendar, left)
    except CalendarMissingError as missing:
        return replace(paused, running_since=now, missing_year=missing.year)
    return replace(moved, due_at=due_at, warn_at=min(warn, due_at), missing_year=None)


def stop(clock: Clock, at: datetime, calendar: BusinessCalendar) -> Clock:
    """The clock ends at `at`, its last running stretch added to the time used."""
    if clock.stopped_at is not None:
        return clock
    ran = pause(clock, at, calendar)
    return replace(
        ran, stopped_at=at, warn_at=None, running_since=clock.running_since, due_at=clock.due_at
    )


def cancel(clock: Clock, at: datetime, calendar: BusinessCalendar) -> Clock:
    """The order was cancelled: the clock ends with the time used, neither met nor breached."""
    if clock.stopped_at is not None:
        return clock
    return replace(stop(clock, at, calendar), cancelled=True)


def status(clock: Clock, now: datetime) -> SlaStatus:
    if clock.cancelled:
        return SlaStatus.CANCELLED
    if clock.stopped_at is not None:
        late = clock.due_at is not None and clock.stopped_at > clock.due_at
        return SlaStatus.MET_LATE if late or _exhausted(clock) else SlaStatus.MET
    if clock.missing_year is not None:
        return SlaStatus.CALENDAR_MISSING
    if not clock.running:
        return SlaStatus.BREACHED if _exhausted(clock) else SlaStatus.PAUSED
    if clock.due_at is not None and now >= clock.due_at:
        return SlaStatus.BREACHED
    if clock.warn_at is not None and now >= clock.warn_at:
        return SlaStatus.DUE_SOON
    return SlaStatus.ON_TRACK


def _exhausted(clock: Clock) -> bool:
    """More than the budget used. Exactly the budget is not late: the deadline is the next working
    instant after it (a clock stopped at 18:30 whose last minute ran out at 18:00 is on time)."""
    return clock.budget is not None and clock.used > clock.budget


def _budget(clock: Clock, calendar: BusinessCalendar) -> int:
    assert clock.target is not None
    match clock.unit:
        case Unit.BUSINESS_MINUTES:
            return clock.target
        case Unit.WORKING_DAYS:
            start = calendar.next_working_start(clock.started_at)
            return calendar.business_minutes_between(
                start, calendar.add_working_days(clock.started_at, clock.target)
            )
        case Unit.NATURAL_HOURS:
            return clock.target * 60
        case Unit.NATURAL_DAYS:
            return clock.target * 24 * 60


def _due(clock: Clock, budget: int, calendar: BusinessCalendar) -> datetime:
    assert clock.target is not None and clock.running_since is not None
    if clock.used == 0 and clock.running_since == clock.started_at:
        match clock.unit:
            case Unit.WORKING_DAYS:
                return calendar.add_working_days(clock.started_at, clock.target)
            case Unit.NATURAL_HOURS:
                return add_natural_hours(clock.started_at, clock.target)
            case Unit.NATURAL_DAYS:
                return add_natural_days(clock.started_at, clock.target)
    return _instant_after(clock, calendar, max(budget - clock.used, 0))


def _instant_after(clock: Clock, calendar: BusinessCalendar, minutes: int) -> datetime:
    assert clock.running_since is not None
    if clock.unit.natural:
        return clock.running_since + timedelta(minutes=minutes)
    return calendar.add_business_minutes(clock.running_since, minutes)


def _elapsed(clock: Clock, since: datetime, until: datetime, calendar: BusinessCalendar) -> int:
    if until <= since:
        return 0
    if clock.unit.natural:
        return int((until - since).total_seconds() // 60)
    return calendar.business_minutes_between(since, until)
