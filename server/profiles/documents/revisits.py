"""revisits.yaml: the callback after handling (回访, DOMAIN.md Part I item 2, Part II §9.1): which
workflow step creates a revisit, its deadline and who it goes to, how many failed calls end it,
the result types and what each does, and the ordered question set. Left out, the tenant's orders
get no revisits."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field

from server.domain.revisit import (
    Action,
    Question,
    ResultType,
    RevisitRule,
    RevisitRules,
)
from server.profiles.crosscheck import Names, RawDocuments, texts
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem, ProblemCode
from server.profiles.validators import ClockUnit, Code

DOC = "revisits.yaml"


class _Rule(Document):
    trigger: str
    target: Annotated[int, Field(ge=1)]
    unit: ClockUnit
    assignee_role: str = "care_specialist"
    max_failed_attempts: Annotated[int, Field(ge=1, le=10)] = 3
    channels: Annotated[
        list[Literal["phone", "email", "letter", "visit"]],
        Field(min_length=1, default_factory=lambda: ["phone"]),
    ]
    requires_words: bool = True

    def build(self) -> RevisitRule:
        return RevisitRule(
            trigger=self.trigger,
            target=self.target,
            unit=self.unit,
            assignee_role=self.assignee_role,
            max_failed_attempts=self.max_failed_attempts,
            channels=tuple(self.channels),
            requires_words=self.requires_words,
        )


class _Result(Coded):
    action: Literal["none", "reopen", "follow_up", "responsible_person"]
    successful: bool

    def build(self) -> ResultType:
        return ResultType(self.code, self.label.to_label(), Action(self.action), self.successful)


class _Question(Coded):
    options: Annotated[list[Code], Field(min_length=2)]

    def build(self) -> Question:
        return Question(self.code, self.label.to_label(), tuple(self.options))


class RevisitsDoc(Document):
    revisits: list[_Rule] = Field(default_factory=list)
    results: list[_Result] = Field(default_factory=list)
    questions: list[_Question] = Field(default_factory=list)
    reopen_with: str | None = None  # the workflow transition a `reopen` result fires


def build(doc: RevisitsDoc) -> Mapping[str, Any]:
    if not doc.revisits:
        return {"revisit_rules": None}
    return {
        "revisit_rules": RevisitRules(
            rules=MappingProxyType({rule.trigger: rule.build() for rule in doc.revisits}),
            results=by_code(doc.results, _Result.build),
            questions=tuple(q.build() for q in doc.questions),
            reopen_with=doc.reopen_with,
        )
    }


def check(raw: RawDocuments) -> list[Problem]:
    if not raw.value(DOC, "revisits"):
        return []
    out: list[Problem] = []
    if not raw.value(DOC, "results"):
        message = "revisits need their result types"
        out.append(Problem(DOC, "results", message, ProblemCode.MISSING_KEY))
    transitions = Names(
        raw.names("workflow.yaml", "transitions", "name"), "transition", "transitions"
    )
    roles = Names(sorted(raw.catalogue.roles), "role", "roles")
    for i, rule in raw.items(DOC, "revisits"):
        out += transitions.check(DOC, f"revisits[{i}].trigger", rule.get("trigger"))
        out += roles.check(DOC, f"revisits[{i}].assignee_role", rule.get("assignee_role"))
    reopening = [i for i, r in raw.items(DOC, "results") if r.get("action") == Action.REOPEN.value]
    reopen_with = raw.value(DOC, "reopen_with")
    if reopening and reopen_with is None:
        message = "a result reopens the order: name the transition that reopens it"
        out.append(Problem(DOC, "reopen_with", message, ProblemCode.MISSING_KEY))
    out += transitions.check(DOC, "reopen_with", reopen_with)
    for i, question in raw.items(DOC, "questions"):
        seen: set[str] = set()
        for j, option in texts(question, "options"):
            if option in seen:
                path = f"questions[{i}].options[{j}]"
                out.append(
                    Problem(DOC, path, f"duplicate option {option!r}", ProblemCode.DUPLICATE)
                )
            seen.add(option)
    return (
        out
        + raw.duplicates(DOC, "revisits", "trigger")
        + raw.duplicates(DOC, "results", "code")
        + raw.duplicates(DOC, "questions", "code")
    )


KIND = DocumentKind(DOC, RevisitsDoc, build, check, required=False)
