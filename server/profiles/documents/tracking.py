"""tracking.yaml: whose duty each clock is (its warnings and breaches reach them), and the
reminders to track open orders at a cadence by grade (docs/rules.md#tracking)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field

from server.domain.handling import MonthDay, Reminder, TrackingRules
from server.profiles.crosscheck import Names, RawDocuments, text, texts
from server.profiles.document import Coded, Document, DocumentKind
from server.profiles.documents import grades
from server.profiles.problems import Problem, ProblemCode

DOC = "tracking.yaml"
DEADLINES = "deadlines.yaml"
# Natural time only: a reminder is a nudge to follow an order up, not a deadline on business time.
_UNITS = {"natural_hours": timedelta(hours=1), "natural_days": timedelta(days=1)}


class _Duty(Document):
    clock: str
    roles: Annotated[list[str], Field(min_length=1)]


class _Every(Document):
    amount: Annotated[int, Field(ge=1)]
    unit: Literal["natural_hours", "natural_days"]


class _MonthDay(Document):
    day: Annotated[int, Field(ge=1, le=28)]
    hour: Annotated[int, Field(ge=0, le=23)] = 9


class _Reminder(Coded):
    """Exactly one of `every` (an interval from registration) and `monthly` (a day and hour)."""

    grades: Annotated[list[str], Field(min_length=1)]
    every: _Every | None = None
    monthly: _MonthDay | None = None
    states: list[str] = Field(default_factory=list)  # workflow.yaml states; none: every open one
    role: str


class TrackingDoc(Document):
    duties: list[_Duty] = Field(default_factory=list)
    reminders: list[_Reminder] = Field(default_factory=list)


def _reminder(r: _Reminder) -> Reminder:
    return Reminder(
        r.code,
        r.label.to_label(),
        frozenset(r.grades),
        r.role,
        every=None if r.every is None else _UNITS[r.every.unit] * r.every.amount,
        monthly=None if r.monthly is None else MonthDay(r.monthly.day, r.monthly.hour),
        states=frozenset(r.states),
    )


def build(doc: TrackingDoc) -> Mapping[str, Any]:
    rules = TrackingRules(
        duties=MappingProxyType({d.clock: tuple(d.roles) for d in doc.duties}),
        reminders=tuple(_reminder(r) for r in doc.reminders),
    )
    return {"tracking": rules}


def check(raw: RawDocuments) -> list[Problem]:
    out = raw.duplicates(DOC, "duties", "clock") + raw.duplicates(DOC, "reminders", "code")
    known = raw.names(DEADLINES, "clocks", "clock")
    clocks = Names(sorted(set(known)) if known is not None else None, "clock", "clocks")
    roles = Names(sorted(raw.catalogue.roles), "role", "roles")
    grade_names = grades.names(raw)
    states = Names(raw.names("workflow.yaml", "states", "name"), "state", "states")
    for i, duty in raw.items(DOC, "duties"):
        out += clocks.check(DOC, f"duties[{i}].clock", duty.get("clock"))
        for j, role in texts(duty, "roles"):
            out += roles.check(DOC, f"duties[{i}].roles[{j}]", role)
    for i, reminder in raw.items(DOC, "reminders"):
        for j, grade in texts(reminder, "grades"):
            out += grade_names.check(DOC, f"reminders[{i}].grades[{j}]", grade)
        out += roles.check(DOC, f"reminders[{i}].role", text(reminder.get("role")))
        for j, state in texts(reminder, "states"):
            out += states.check(DOC, f"reminders[{i}].states[{j}]", state)
        if (reminder.get("every") is None) == (reminder.get("monthly") is None):
            message = "a reminder comes either every interval or monthly: give one of the two"
            out.append(Problem(DOC, f"reminders[{i}]", message, ProblemCode.INVALID_VALUE))
    return out


KIND = DocumentKind(DOC, TrackingDoc, build, check, required=False)
