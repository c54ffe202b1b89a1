"""Revisits (回访): the callback to the customer after a complaint is handled (DOMAIN.md Part II
§9.1). The rules are profile data (revisits.yaml); this module decides what an attempt or a
result does to a revisit, without a database.

A revisit is open until a result is recorded (completed, or unsuccessful for a result type that
is not a success), its failed attempts reach the profile's maximum or the customer refuses
(unsuccessful), or its order goes back into handling before the call (cancelled: a form
still being handled is not revisited).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from server.domain.workflow import Label

# A revisit's deadline is a clock of its order named after it, so the deadline scan warns about
# and breaches it like the others; an order's closing does not end it (the call comes after).
CLOCK_PREFIX = "revisit-"


def clock_name(revisit_id: int) -> str:
    return f"{CLOCK_PREFIX}{revisit_id}"


def is_clock(name: str) -> bool:
    return name.startswith(CLOCK_PREFIX)


class RevisitState(str, Enum):
    OPEN = "open"
    COMPLETED = "completed"
    UNSUCCESSFUL = "unsuccessful"
    CANCELLED = "cancelled"


class Outcome(str, Enum):
    """How one call (or letter, visit) ended."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    REFUSED = "refused"
    CALL_BACK = "call_back"  # the customer asked to be called at a later time


# Attempts that count towards the profile's maximum: the customer was not reached.
FAILED = frozenset({Outcome.NO_ANSWER, Outcome.BUSY})
CHANNELS = ("phone", "email", "letter", "visit")


class Action(str, Enum):
    """What a result does, in the transaction that records it."""

    NONE = "none"
    REOPEN = "reopen"  # the order goes back into handling, the customer's words in its history
    FOLLOW_UP = "follow_up"  # a new complaint linked both ways, a repeat of the order
    RESPONSIBLE_PERSON = "responsible_person"  # not a formal complaint, to the handler


@dataclass(frozen=True)
class ResultType:
    code: str
    label: Label
    action: Action
    successful: bool  # counts as a successful revisit (the customer gave their verdict)


@dataclass(frozen=True)
class Question:
    code: str
    label: Label
    options: tuple[str, ...]  # the answer codes offered, in order


@dataclass(frozen=True)
class RevisitRule:
    trigger: str  # the workflow transition that creates the revisit
    target: int
    unit: str  # a clock unit, as in deadlines.yaml
    assignee_role: str  # the role at the order's dealer the revisit goes to
    max_failed_attempts: int
    channels: tuple[str, ...]  # the first is the default
    requires_words: bool  # a result must carry the customer's own words


@dataclass(frozen=True)
class RevisitRules:
    rules: Mapping[str, RevisitRule]  # by trigger
    results: Mapping[str, ResultType]
    questions: tuple[Question, ...]  # asked in this order (ordered, with answer options)
    reopen_with: str | None  # the transition a REOPEN result fires


@dataclass(frozen=True)
class AttemptEffect:
    state: RevisitState
    failed_attempts: int
    call_back_at: datetime | None  # the revisit is due again then


def attempt(
    failed: int, outcome: Outcome, maximum: int, call_back_at: datetime | None
) -> AttemptEffect:
    """What one attempt does to an open revisit with `failed` failed attempts so far."""
    if outcome is Outcome.REFUSED:
        return AttemptEffect(RevisitState.UNSUCCESSFUL, failed, None)
    if outcome in FAILED:
        failed += 1
        state = RevisitState.UNSUCCESSFUL if failed >= maximum else RevisitState.OPEN
        return AttemptEffect(state, failed, None)
    later = call_back_at if outcome is Outcome.CALL_BACK else None
    return AttemptEffect(RevisitState.OPEN, failed, later)


def answers_problems(
    questions: tuple[Question, ...], answers: Mapping[str, str]
) -> list[tuple[str, str]]:
    """(question code, what is wrong) for each answer that is no question's or no option of it."""
    known = {q.code: q for q in questions}
    out = []
    for code, answer in answers.items():
        question = known.get(code)
        if question is None:
            out.append((code, f"unknown question '{code}' (known: {', '.join(known) or 'none'})"))
        elif answer not in question.options:
            options = ", ".join(question.options)
            out.append((code, f"unknown answer '{answer}' (options: {options})"))
    return out
