"""Rules of the document kinds that time and guide an order beyond its clocks: written reports,
conditional deadlines (docs/rules.md#written-reports, #conditional-deadlines). Kept apart from
runtime.py so each kind's rules stay with the documents that give them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from server.domain.workflow import Label


@dataclass(frozen=True)
class WrittenReportRule:
    """A report the order owes from registration, e.g. the written report of a major fault."""

    code: str
    label: Label
    flags: frozenset[str]  # any of these ticked at intake (or a demand below) creates it
    demands: frozenset[str]
    target: int  # 0: due at once, at registration
    unit: str  # a clock unit
    escalate_to: str  # the tier told at once that the report is owed

    def matches(self, flags: Iterable[str], demands: Iterable[str]) -> bool:
        return bool(self.flags & set(flags) or self.demands & set(demands))


@dataclass(frozen=True)
class ConditionalDeadline:
    """Another target for a clock once a fact is recorded on the order or an event happened."""

    clock: str
    fact: str | None  # exactly one of fact and event is set
    event: str | None
    target: int
    unit: str
