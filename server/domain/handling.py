"""Handling rules a profile may add to its workflow (docs/rules.md#handling): the tier an order
starts at by its grade, the departments of a dealer and the transfers that route an order to
one of them, separation of duties between steps, whose duty each clock is, and the tracking
reminders of open orders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from server.domain.workflow import Label


@dataclass(frozen=True)
class Authority:
    """Whom a transfer may hand an order to: a role-holder in one department of the store."""

    code: str
    label: Label
    department: str
    role: str


@dataclass(frozen=True)
class MonthDay:
    """A day (1..28) and hour of every month, in the tenant's timezone."""

    day: int
    hour: int


@dataclass(frozen=True)
class Reminder:
    """Remind the holders of `role` of an open order with one of `grades` (and, when `states` are
    given, in one of them) until it is closed or cancelled: every `every` from registration, or
    once a month at `monthly` for the orders in their state since before that month."""

    code: str
    label: Label
    grades: frozenset[str]
    role: str
    every: timedelta | None = None
    monthly: MonthDay | None = None
    states: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HandlingRules:
    """handling.yaml: routing by grade, departments, transfers and separation of duties."""

    start_tier: Mapping[str, str]  # grade -> the tier its orders start at, at least
    departments: Mapping[str, Label]
    # transition -> the authorities it may name as its target (its transfer block)
    transfers: Mapping[str, Mapping[str, Authority]]
    # transition -> the transitions whose actor may not take it
    separated_from: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class TrackingRules:
    """tracking.yaml: whose duty each clock is, and the reminders of open orders."""

    duties: Mapping[str, tuple[str, ...]]  # clock -> roles its warnings and breaches reach
    reminders: tuple[Reminder, ...]


def start_tier(
    rules: HandlingRules, tiers: Sequence[str], grade: str | None, current: str
) -> str | None:
    """The tier an order of `grade` must at least be at, when it is above `current` in the
    profile's tier order; None when the order may stay where it is."""
    wanted = rules.start_tier.get(grade) if grade is not None else None
    if wanted is None or wanted == current:
        return None
    order = list(tiers)
    if current in order and order.index(wanted) < order.index(current):
        return None
    return wanted


def monthly_round(now: datetime, timezone: str, at: MonthDay) -> tuple[str, datetime]:
    """The month whose reminder time came last by `now` (YYYY-MM) and the instant that month
    began: an order in its state since before that instant is reminded in the month's round (a
    ledger of last month's pending matters, docs/rules.md section 17)."""
    local = now.astimezone(ZoneInfo(timezone))
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if local < start.replace(day=at.day, hour=at.hour):
        start = (start - timedelta(days=1)).replace(day=1)
    return f"{start:%Y-%m}", start


def reminder_round(since: datetime, now: datetime, every: timedelta) -> int:
    """How many full periods of `every` have passed since `since`: the round of the reminder due
    now (0: none yet)."""
    return max(0, (now - since) // every)
