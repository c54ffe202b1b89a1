"""Escalation rules: upgrade-warning triggers, and which tier handles the nth complaint on an
issue."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from server.domain.workflow import Label, Meaning


@dataclass(frozen=True)
class WarningRule:
    """Fires when every condition it names holds (an upgrade-warning slip trigger,
    docs/rules.md#tier-routing)."""

    code: str
    label: Label
    meaning: Meaning | None = None  # the order is in a state with this meaning...
    calls_at_least: int | None = None  # ...and the customer called this often while it was
    flags: frozenset[str] = frozenset()  # all of these flags are on the order
    demands: frozenset[str] = frozenset()  # all of these demands are on the order


def triggered(
    rules: Sequence[WarningRule],
    meaning: Meaning,
    calls: Mapping[Meaning, int],
    flags: frozenset[str],
    demands: frozenset[str],
) -> tuple[WarningRule, ...]:
    return tuple(rule for rule in rules if _holds(rule, meaning, calls, flags, demands))


def _holds(
    rule: WarningRule,
    meaning: Meaning,
    calls: Mapping[Meaning, int],
    flags: frozenset[str],
    demands: frozenset[str],
) -> bool:
    if rule.meaning is not None and rule.meaning is not meaning:
        return False
    if (
        rule.calls_at_least is not None
        and calls.get(rule.meaning or meaning, 0) < rule.calls_at_least
    ):
        return False
    return (
        rule.flags <= flags
        and rule.demands <= demands
        and bool(rule.meaning or rule.flags or rule.demands)
    )


@dataclass(frozen=True)
class Routing:
    """Where the nth complaint on the same issue goes; beyond the table it stays with the last tier
    and asks for an upgrade-warning slip (docs/rules.md#tier-routing)."""

    tier: str
    beyond_table: bool


def route(routing: Sequence[str], complaint_number: int) -> Routing:
    if not routing:
        raise ValueError("this category has no routing table")
    index = min(complaint_number, len(routing)) - 1
    return Routing(routing[index], complaint_number > len(routing))


def next_tier(routing: Sequence[str], current: str) -> str | None:
    """The tier above `current` in the category's table; None at the top."""
    if current not in routing:
        return routing[0] if routing else None
    index = list(routing).index(current)
    return routing[index + 1] if index + 1 < len(routing) else None


def previous_tier(routing: Sequence[str], current: str) -> str | None:
    if current not in routing:
        return None
    index = list(routing).index(current)
    return routing[index - 1] if index > 0 else None
