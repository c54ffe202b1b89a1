"""Grading at intake: profile rules propose a grade from the flags and demands ticked at
registration, and alert rules name who must hear of the order at once
(docs/rules.md#intake-grading, #alerts).

The grade is only proposed: the operator may override it with a reason
(docs/rules.md#intake-grading), so a proposal carries the reasons that produced it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from server.domain.workflow import Label

# Who an alert may notify. region_managers are those who may assign at the order's region node
# (a regional office), so "the manager and the RBO at once" can be said
# (docs/rules.md#alerts).
ALERT_RECIPIENTS = (
    "primary_handler",
    "secondary_handler",
    "managers",
    "region_managers",
    "tenant_admins",
)


@dataclass(frozen=True)
class GradingRule:
    """Proposes `grade` when any of its flags or demands is on the order."""

    grade: str
    flags: frozenset[str]
    demands: frozenset[str]
    reason: Label


@dataclass(frozen=True)
class AlertRule:
    """Notifies `notify` at registration when any of its flags or demands is on the order."""

    flags: frozenset[str]
    demands: frozenset[str]
    notify: tuple[str, ...]
    reason: Label


@dataclass(frozen=True)
class Proposal:
    grade: str | None  # None only for an ungraded (consultation) default that no rule raised
    reasons: tuple[Label, ...]  # of the rules proposing `grade`, in rule order; () for the default


def _any(rule: GradingRule | AlertRule, flags: frozenset[str], demands: frozenset[str]) -> bool:
    return bool(rule.flags & flags or rule.demands & demands)


def propose_grade(
    rules: Sequence[GradingRule],
    grades_rank: Mapping[str, int],
    default: str | None,
    flags: Iterable[str],
    demands: Iterable[str],
) -> Proposal:
    """The highest-ranked grade any matching rule proposes, else the category's default.

    The default also counts as a proposal, so a rule can raise a category's grade but never lower
    it (a "general" row must not pull down a category that starts higher)."""
    present = (frozenset(flags), frozenset(demands))
    matched = [rule for rule in rules if _any(rule, *present)]
    if not matched:
        return Proposal(default, ())
    best = max((rule.grade for rule in matched), key=lambda grade: grades_rank[grade])
    if default is not None and grades_rank[default] > grades_rank[best]:
        return Proposal(default, ())
    return Proposal(best, tuple(rule.reason for rule in matched if rule.grade == best))


def matching_alerts(
    alerts: Sequence[AlertRule], flags: Iterable[str], demands: Iterable[str]
) -> tuple[AlertRule, ...]:
    """The alerts to send at registration, in profile order."""
    present = (frozenset(flags), frozenset(demands))
    return tuple(alert for alert in alerts if _any(alert, *present))
