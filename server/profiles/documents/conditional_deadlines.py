"""conditional_deadlines.yaml: facts recorded on an order, and the other target a clock takes once
a fact is recorded or an event happens, e.g. 24 natural hours, 48 if the customer could not be
reached (docs/rules.md#conditional-deadlines)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments, mapping, text
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem, ProblemCode
from server.profiles.rules import ConditionalDeadline
from server.profiles.runtime import EVENTS
from server.profiles.validators import ClockUnit

DOC = "conditional_deadlines.yaml"


class _When(Document):
    fact: str | None = None
    event: str | None = None


class _Deadline(Document):
    clock: str
    when: _When
    target: Annotated[int, Field(ge=1)]
    unit: ClockUnit


class ConditionalDeadlinesDoc(Document):
    facts: list[Coded] = Field(default_factory=list)
    deadlines: list[_Deadline] = Field(default_factory=list)


def build(doc: ConditionalDeadlinesDoc) -> Mapping[str, Any]:
    return {
        "facts": by_code(doc.facts, lambda f: f.label.to_label()),
        "conditional_deadlines": tuple(
            ConditionalDeadline(d.clock, d.when.fact, d.when.event, d.target, d.unit)
            for d in doc.deadlines
        ),
    }


def check(raw: RawDocuments) -> list[Problem]:
    clocks = raw.names("deadlines.yaml", "clocks", "clock")
    clock_names = Names(clocks, "clock", "clocks of deadlines.yaml")
    facts = Names(raw.names(DOC, "facts"), "fact", "facts")
    transitions = raw.names("workflow.yaml", "transitions", "name")
    events = Names(
        None if transitions is None else [*EVENTS, *transitions], "event", "events and transitions"
    )
    out = raw.duplicates(DOC, "facts", "code")
    first: dict[str, int] = {}
    for i, deadline in raw.items(DOC, "deadlines"):
        path = f"deadlines[{i}]"
        out += clock_names.check(DOC, f"{path}.clock", deadline.get("clock"))
        when = mapping(deadline.get("when"))
        out += facts.check(DOC, f"{path}.when.fact", when.get("fact"))
        out += events.check(DOC, f"{path}.when.event", when.get("event"))
        if isinstance(deadline.get("when"), dict) and (when.get("fact") is None) == (
            when.get("event") is None
        ):
            message = "name exactly one condition: a fact or an event"
            out.append(Problem(DOC, f"{path}.when", message, ProblemCode.INVALID_VALUE))
        clock = text(deadline.get("clock"))
        if clock is not None and clock in first:
            # Two conditions can hold on one order at once: which target would win is undefined.
            message = (
                f"ambiguous: deadlines[{first[clock]}] also sets another target for clock"
                f" {clock!r}, and both conditions can hold on one order"
            )
            out.append(Problem(DOC, f"{path}.clock", message, ProblemCode.AMBIGUOUS))
        elif clock is not None:
            first[clock] = i
    return out


KIND = DocumentKind(DOC, ConditionalDeadlinesDoc, build, check, required=False)
