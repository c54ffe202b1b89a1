"""Workflow as data: states and transitions come from a tenant's profile; this engine only
interprets them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError


class Meaning(str, Enum):
    """What a profile's own state names stand for (docs/rules.md#states)."""

    UNPROCESSED = "unprocessed"
    IN_PROGRESS = "in_progress"
    HANDLED = "handled"
    CLOSED = "closed"
    PENDING = "pending"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Label:
    zh: str
    en: str


@dataclass(frozen=True)
class State:
    name: str
    meaning: Meaning
    label: Label
    final: bool = False


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    permission: str
    label: Label
    requires_comment: bool = False
    records_resolution: bool = False


@dataclass(frozen=True)
class Workflow:
    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...]

    def state(self, name: str) -> State:
        return next(s for s in self.states if s.name == name)

    def transition(self, name: str) -> Transition | None:
        return next((t for t in self.transitions if t.name == name), None)

    def available(self, current: str) -> tuple[Transition, ...]:
        return tuple(t for t in self.transitions if current in t.sources)

    def fire(self, current: str, name: str, comment: str | None = None) -> Transition:
        """The transition to apply, or why it may not run from `current`."""
        transition = self.transition(name)
        if transition is None or current not in transition.sources:
            raise TransitionNotAllowedError(
                current, name, [t.name for t in self.available(current)]
            )
        if transition.requires_comment and not (comment and comment.strip()):
            # The step may run; the input lacks a field: a ValidationError naming it, not a refusal.
            raise InvalidInputError(
                [FieldProblem(("comment",), f"'{name}' needs a comment giving the reason")]
            )
        return transition

    def resolving_transition(self, current: str) -> Transition | None:
        """The transition that records a resolution from `current` (what closing an order means
        here)."""
        return next((t for t in self.available(current) if t.records_resolution), None)
