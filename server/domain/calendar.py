"""Business-time arithmetic: working hours, working days and the clocks built on them.

Pure and stdlib-only. Every instant in and out is timezone-aware; results are in UTC.
Business time is reckoned in the calendar's own timezone (docs/rules.md#clock-types and #deadlines).

One rule for every business-time deadline: it is an instant of working time. A count that runs out
exactly at the close of a window (18:00) ends at the next opening (09:00 of the next working day),
the same business instant written the one way a working-day deadline is written already ("+N
working days" from a 09:00 start ends at 09:00, docs/deadline-scenarios.md cases 4
and 12). So a clock paused and resumed with no working time between shows the deadline it showed
before, to the minute, and its breach is reported when the next working time begins.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from server.domain.errors import DomainError

MONDAY_TO_FRIDAY = frozenset(range(5))

# Longest run of days without working time we walk before calling the calendar broken.
MAX_IDLE_DAYS = 366 * 3

_ONE_MINUTE = timedelta(minutes=1)
_WINDOW = re.compile(r"^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")

Segment = tuple[datetime, datetime]


class CalendarMissingError(DomainError):
    """Raised instead of guessing: 调休 make-up days cannot be derived from rules."""

    def __init__(self, year: int):
        super().__init__(
            f"the statutory holidays and make-up working days for {year} are not loaded; "
            f"a tenant admin must load the {year} calendar "
            f"before deadlines in {year} can be computed"
        )
        self.year = year


@dataclass(frozen=True)
class WorkingHours:
    """Daily working windows, half-open [start, end), in order and not overlapping."""

    windows: tuple[tuple[time, time], ...]

    def __post_init__(self) -> None:
        if not self.windows:
            raise ValueError("working hours need at least one window, e.g. '09:00-18:00'")
        previous_end: time | None = None
        for start, end in self.windows:
            if start >= end:
                raise ValueError(f"working window {_fmt(start, end)} must end after it starts")
            if previous_end is not None and start < previous_end:
                raise ValueError(
                    f"working window {_fmt(start, end)} overlaps or precedes the window before it"
                )
            previous_end = end

    @classmethod
    def parse(cls, spec: Sequence[str]) -> WorkingHours:
        """Parse ["09:00-12:00", "13:00-18:00"]; windows may be given in any order."""
        if isinstance(spec, str):
            raise ValueError(
                f"working hours must be a list of windows such as ['09:00-18:00'], not {spec!r}"
            )
        return cls(tuple(sorted(_parse_window(item) for item in spec)))


def _parse_window(text: str) -> tuple[time, time]:
    match = _WINDOW.match(text)
    if match is None:
        raise ValueError(f"working window {text!r} is not of the form 'HH:MM-HH:MM'")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    try:
        return time(h1, m1), time(h2, m2)
    except ValueError:
        raise ValueError(f"working window {text!r} contains an impossible time of day") from None


def _fmt(start: time, end: time) -> str:
    return f"{start:%H:%M}-{end:%H:%M}"


@dataclass(frozen=True)
class DayRules:
    """Which dates are working days: a weekly pattern, overridden by dated exceptions."""

    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)
    known_years: frozenset[int] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name in ("working_weekdays", "holidays", "workdays", "known_years"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        if not self.working_weekdays <= frozenset(range(7)):
            raise ValueError(
                "working weekdays must be 0 (Monday) to 6 (Sunday), "
                f"got {sorted(self.working_weekdays)}"
            )
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates cannot be both holiday and working day: {sorted(both)}")

    def is_working_day(self, d: date) -> bool:
        if d.year not in self.known_years:
            raise CalendarMissingError(d.year)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        return d.weekday() in self.working_weekdays

    def merged(self, other: DayRules) -> DayRules:
        """Overlay other's dated exceptions (they win) and known years; the weekly pattern stays
        ours."""
        return DayRules(
            working_weekdays=self.working_weekdays,
            holidays=(self.holidays - other.workdays) | other.holidays,
            workdays=(self.workdays - other.holidays) | other.workdays,
            known_years=self.known_years | other.known_years,
        )


@dataclass(frozen=True)
class BusinessCalendar:
    tz: ZoneInfo
    hours: WorkingHours
    days: DayRules

    def add_business_minutes(self, start: datetime, minutes: int) -> datetime:
        """The instant the minutes run out, which is always in working time: a count that runs out
        exactly at a window's end is the next window's start (the module's rule)."""
        _check_amount(minutes)
        remaining = minutes * _ONE_MINUTE
        for seg_start, seg_end in self._segments_from(start):
            if remaining < seg_end - seg_start:
                return seg_start + remaining
            remaining -= seg_end - seg_start
        raise AssertionError("unreachable: _segments_from never ends")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """Same local clock time as the moved start, on the Nth working day after it."""
        _check_amount(days)
        moved = self.next_working_start(start).astimezone(self.tz)
        day = moved.date()
        for _ in range(days):
            day = self._next_working_day(day)
        return self.next_working_start(datetime.combine(day, moved.time(), tzinfo=self.tz))

    def business_minutes_between(self, start: datetime, end: datetime) -> int:
        """Whole working minutes in [start, end)."""
        _aware(start)
        _aware(end)
        if end < start:
            raise ValueError(f"end {end.isoformat()} is before start {start.isoformat()}")
        until = end.astimezone(self.tz).date()
        total = timedelta()
        for seg_start, seg_end in self._segments_from(start, until):
            if seg_start >= end:
                break
            total += min(seg_end, end) - seg_start
        return total // _ONE_MINUTE

    def is_working_time(self, instant: datetime) -> bool:
        day = self._local(instant).date()
        return self.days.is_working_day(day) and any(
            s <= instant < e for s, e in self._day_segments(day)
        )

    def next_working_start(self, instant: datetime) -> datetime:
        """The instant itself (in UTC) if inside working time, else the next window start."""
        seg_start, _ = next(self._segments_from(instant))
        return seg_start

    def _segments_from(self, instant: datetime, until: date | None = None) -> Iterator[Segment]:
        """Working windows (UTC) ending after instant, clipped to start no earlier than it."""
        instant = self._local(instant).astimezone(UTC)
        day = instant.astimezone(self.tz).date()
        idle = 0
        while until is None or day <= until:
            if self.days.is_working_day(day):
                idle = 0
                for seg_start, seg_end in self._day_segments(day):
                    if seg_end > instant:
                        yield max(seg_start, instant), seg_end
            else:
                idle = _count_idle(idle, day)
            day += timedelta(days=1)

    def _day_segments(self, day: date) -> Iterator[Segment]:
        for start, end in self.hours.windows:
            yield self._utc(day, start), self._utc(day, end)

    def _next_working_day(self, day: date) -> date:
        idle = 0
        day += timedelta(days=1)
        while not self.days.is_working_day(day):
            idle = _count_idle(idle, day)
            day += timedelta(days=1)
        return day

    def _utc(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.tz).astimezone(UTC)

    def _local(self, instant: datetime) -> datetime:
        return _aware(instant).astimezone(self.tz)


def _count_idle(idle: int, day: date) -> int:
    if idle + 1 > MAX_IDLE_DAYS:
        raise ValueError(
            f"no working day in the {MAX_IDLE_DAYS} days up to {day}; "
            "check working weekdays and holidays"
        )
    return idle + 1


def add_natural_hours(start: datetime, hours: int) -> datetime:
    _check_amount(hours)
    return _aware(start).astimezone(UTC) + timedelta(hours=hours)


def add_natural_days(start: datetime, days: int) -> datetime:
    """Plain elapsed 24-hour days, holidays or not."""
    _check_amount(days)
    return _aware(start).astimezone(UTC) + timedelta(days=days)


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"datetime {instant.isoformat()} is naive; pass a timezone-aware instant")
    return instant


def _check_amount(amount: int) -> None:
    if amount < 0:
        raise ValueError(f"amount of time must not be negative, got {amount}")
