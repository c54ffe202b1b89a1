"""Handling rules a profile may add to its workflow (docs/rules.md#handling): the tier an order
starts at by its grade, the departments of a dealer and the transfers that route an order to
one of them, separation of duties between steps, whose duty each clock is, and the tracking
reminders of open orders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.domain.workflow import Label


@dataclass(frozen=True)
class Authority:
    """Whom a transfer may hand an order to: a role-holder in one department of the store."""

    code: str
    label: Label
    department: str
    role: str


@dataclass(frozen=True)
class Reminder:
    """Remind the holders of `role` every `every` of an order with one of `grades` until it is
    closed or cancelled."""

    code: str
    label: Label
    grades: frozenset[str]
    every: timedelta
    role: str


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


def reminder_round(since: datetime, now: datetime, every: timedelta) -> int:
    """How many full periods of `every` have passed since `since`: the round of the reminder due
    now (0: none yet)."""
    return max(0, (now - since) // every)
