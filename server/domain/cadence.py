"""Cadence reports (cadence.yaml): which summary is produced on which day and hour in the tenant's
timezone, covering which period, for which roles (DOMAIN.md Part II §8.3-8.4). Pure: when a report
is due and what it covers, from the instant and the zone."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from zoneinfo import ZoneInfo

from server.domain.workflow import Label


class Every(str, Enum):
    WEEK = "week"  # day is the ISO weekday (1 Monday .. 7 Sunday); covers the previous week
    MONTH = "month"  # day is the day of the month (1..28); covers the previous month


@dataclass(frozen=True)
class CadenceRule:
    code: str
    label: Label
    every: Every
    day: int
    hour: int
    roles: tuple[str, ...]  # whoever holds one of them anywhere in the tenant receives it


@dataclass(frozen=True)
class CadenceRules:
    max_range_months: int  # the longest range a board trend, an analysis or an export may cover
    reports: Mapping[str, CadenceRule]


@dataclass(frozen=True)
class Period:
    """The local days [first, last] a report covers, and its key: 2026-11 or 2026-W48."""

    key: str
    first: date
    last: date
    run_at: datetime  # when the report covering it is due

    def starts_at(self, zone: str) -> datetime:
        return datetime.combine(self.first, time(), ZoneInfo(zone))

    def ends_at(self, zone: str) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time(), ZoneInfo(zone))


def latest_due(rule: CadenceRule, now: datetime, zone: str) -> Period:
    """The period of the last run of `rule` at or before `now`."""
    local = now.astimezone(ZoneInfo(zone))
    today = local.date()
    if rule.every is Every.WEEK:
        monday = today - timedelta(days=today.weekday())
        period = _week(rule, monday - timedelta(days=7), zone)
        if period.run_at > now:
            period = _week(rule, monday - timedelta(days=14), zone)
        return period
    period = _month(rule, _month_before(today.replace(day=1)), zone)
    if period.run_at > now:
        period = _month(rule, _month_before(period.first), zone)
    return period


def _week(rule: CadenceRule, monday: date, zone: str) -> Period:
    run_day = monday + timedelta(days=7 + rule.day - 1)
    year, week, _ = monday.isocalendar()
    run_at = datetime.combine(run_day, time(rule.hour), ZoneInfo(zone))
    return Period(f"{year}-W{week:02d}", monday, monday + timedelta(days=6), run_at)


def _month(rule: CadenceRule, first: date, zone: str) -> Period:
    following = _month_after(first)
    last = following - timedelta(days=1)
    run_at = datetime.combine(following.replace(day=rule.day), time(rule.hour), ZoneInfo(zone))
    return Period(f"{first:%Y-%m}", first, last, run_at)


def _month_before(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def _month_after(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


class PeriodError(ValueError):
    pass


def period_of(rule: CadenceRule, key: str, zone: str) -> Period:
    """The period `key` names for `rule` (2026-11 for a monthly one, 2026-W48 for a weekly one)."""
    try:
        if rule.every is Every.WEEK:
            year, week = key.split("-W")
            return _week(rule, date.fromisocalendar(int(year), int(week), 1), zone)
        return _month(rule, date.fromisoformat(f"{key}-01"), zone)
    except ValueError:
        raise PeriodError(
            f"'{key}' is not a period of the {rule.every.value}ly {rule.code}"
        ) from None
