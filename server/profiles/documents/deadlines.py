"""deadlines.yaml: the clocks on an order, their targets and scopes, and the repeat windows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments, mapping, text, texts
from server.profiles.document import Document, DocumentKind
from server.profiles.documents import categories, channels, grades, routing
from server.profiles.problems import Problem, ProblemCode
from server.profiles.runtime import DEFAULT_NOTIFY, EVENTS, Action, ClockRule, Recipient
from server.profiles.validators import ClockUnit

DOC = "deadlines.yaml"
_SCOPES = ("grades", "categories", "channels")


class _AppliesTo(Document):
    grades: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)


class _Action(Document):
    notify: list[Recipient] = Field(default_factory=lambda: list(DEFAULT_NOTIFY))
    regrade: str | None = None
    move_to_tier: str | None = None

    def build(self) -> Action:
        return Action(tuple(self.notify), self.regrade, self.move_to_tier)


class _ClockRule(Document):
    clock: str
    # Required: an unlimited clock is written as null on purpose.
    target: Annotated[int, Field(ge=1)] | None
    unit: ClockUnit
    applies_to: _AppliesTo = _AppliesTo()
    starts_on: str
    stops_on: str
    pauses_on: str | None = None
    resumes_on: str | None = None
    on_due_soon: _Action = _Action()
    on_breach: _Action = _Action()

    def build(self) -> ClockRule:
        scope = self.applies_to
        return ClockRule(
            clock=self.clock,
            target=self.target,
            unit=self.unit,
            grades=tuple(scope.grades),
            categories=tuple(scope.categories),
            channels=tuple(scope.channels),
            starts_on=self.starts_on,
            stops_on=self.stops_on,
            pauses_on=self.pauses_on,
            resumes_on=self.resumes_on,
            on_due_soon=self.on_due_soon.build(),
            on_breach=self.on_breach.build(),
        )


class _Windows(Document):
    repeat_days: Annotated[int, Field(ge=1)]
    first_time_resolution_days: Annotated[int, Field(ge=1)]


class DeadlinesDoc(Document):
    clocks: list[_ClockRule]
    warn_before_percent: Annotated[int, Field(ge=0, le=99)]
    windows: _Windows


def build(doc: DeadlinesDoc) -> Mapping[str, Any]:
    return {
        "clocks": tuple(rule.build() for rule in doc.clocks),
        "warn_before_percent": doc.warn_before_percent,
        "repeat_days": doc.windows.repeat_days,
        "first_time_resolution_days": doc.windows.first_time_resolution_days,
    }


def check(raw: RawDocuments) -> list[Problem]:
    states = raw.names("workflow.yaml", "states", "name")
    transitions = raw.names("workflow.yaml", "transitions", "name")
    clocks = Names(
        None if states is None else ["response", "closure", *states],
        "clock",
        "response, closure or a workflow state",
    )
    events = Names(
        None if transitions is None else [*EVENTS, *transitions], "event", "events and transitions"
    )
    grade_names, tiers = grades.names(raw), routing.names(raw)
    rules = raw.items(DOC, "clocks")
    out: list[Problem] = []
    for i, rule in rules:
        out += _check_rule(f"clocks[{i}]", rule, clocks=clocks, events=events)
        out += _check_applies_to(raw, f"clocks[{i}].applies_to", rule.get("applies_to"))
        for key in ("on_due_soon", "on_breach"):
            action = mapping(rule.get(key))
            out += grade_names.check(DOC, f"clocks[{i}].{key}.regrade", action.get("regrade"))
            out += tiers.check(DOC, f"clocks[{i}].{key}.move_to_tier", action.get("move_to_tier"))
    return out + _overlaps(rules)


def _check_rule(path: str, rule: dict[str, Any], *, clocks: Names, events: Names) -> list[Problem]:
    out = clocks.check(DOC, f"{path}.clock", rule.get("clock"))
    for key in ("starts_on", "stops_on", "pauses_on", "resumes_on"):
        out += events.check(DOC, f"{path}.{key}", rule.get(key))
    if (rule.get("pauses_on") is None) != (rule.get("resumes_on") is None):
        message = "pauses_on and resumes_on go together: a paused clock must be able to resume"
        out.append(Problem(DOC, path, message, ProblemCode.UNPAIRED_PAUSE))
    if text(rule.get("starts_on")) and rule.get("starts_on") == rule.get("stops_on"):
        message = f"the clock would stop on the event that starts it ({rule['starts_on']!r})"
        out.append(Problem(DOC, f"{path}.stops_on", message, ProblemCode.STOPS_ON_START))
    return out


def _check_applies_to(raw: RawDocuments, path: str, scope: Any) -> list[Problem]:
    targets = [grades.names(raw), categories.names(raw), channels.names(raw)]
    return [
        problem
        for names in targets
        for j, value in texts(scope, names.plural)
        for problem in names.check(DOC, f"{path}.{names.plural}[{j}]", value)
    ]


def _overlaps(rules: list[tuple[int, dict[str, Any]]]) -> list[Problem]:
    """Two rules for one clock that can match the same order would make its deadline ambiguous."""
    out: list[Problem] = []
    for n, (j, later) in enumerate(rules):
        for i, earlier in rules[:n]:
            shared = _shared_scope(earlier.get("applies_to"), later.get("applies_to"))
            if text(later.get("clock")) and earlier.get("clock") == later.get("clock") and shared:
                message = f"overlaps clocks[{i}]: both {later['clock']!r} rules apply to {shared}"
                path = f"clocks[{j}].applies_to"
                out.append(Problem(DOC, path, message, ProblemCode.OVERLAPPING_CLOCKS))
    return out


def _shared_scope(a: Any, b: Any) -> str | None:
    """What two scopes both match (an empty or missing list matches everything), or None if
    they are disjoint."""
    parts = []
    for items in _SCOPES:
        x, y = [v for _, v in texts(a, items)], [v for _, v in texts(b, items)]
        common = [v for v in x if v in y] if x and y else (x or y)
        if x and y and not common:
            return None
        if common:
            parts.append(f"{items} {', '.join(common)}")
    return "; ".join(parts) or "every order"


KIND = DocumentKind(DOC, DeadlinesDoc, build, check)
