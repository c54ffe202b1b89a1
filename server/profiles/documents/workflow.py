"""workflow.yaml: the states of an order, the initial one, and the transitions between them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.domain.workflow import Meaning, State, Transition, Workflow
from server.profiles.crosscheck import Names, RawDocuments, text, texts
from server.profiles.document import Document, DocumentKind, LabelModel
from server.profiles.problems import Problem, ProblemCode
from server.profiles.runtime import EVENTS
from server.profiles.validators import Code, MeaningName

DOC = "workflow.yaml"


class _State(Document):
    name: Code
    meaning: MeaningName
    label: LabelModel
    final: bool = False


class _Transition(Document):
    name: Code
    sources: Annotated[list[str], Field(alias="from", min_length=1)]
    to: str
    permission: str
    label: LabelModel
    requires_comment: bool = False
    records_resolution: bool = False


class WorkflowDoc(Document):
    states: Annotated[list[_State], Field(min_length=1)]
    initial: str
    transitions: list[_Transition]


def build(doc: WorkflowDoc) -> Mapping[str, Any]:
    states = tuple(
        State(s.name, Meaning(s.meaning), s.label.to_label(), final=s.final) for s in doc.states
    )
    transitions = tuple(
        Transition(
            t.name,
            tuple(t.sources),
            t.to,
            permission=t.permission,
            label=t.label.to_label(),
            requires_comment=t.requires_comment,
            records_resolution=t.records_resolution,
        )
        for t in doc.transitions
    )
    return {"workflow": Workflow(states, doc.initial, transitions)}


def check(raw: RawDocuments) -> list[Problem]:
    out = raw.duplicates(DOC, "states", "name") + raw.duplicates(DOC, "transitions", "name")
    states = Names(raw.names(DOC, "states", "name"), "state", "states")
    finals = {
        s["name"]
        for _, s in raw.items(DOC, "states")
        if s.get("final") is True and text(s.get("name"))
    }
    permissions = Names(sorted(raw.catalogue.permissions), "permission", "permissions")
    initial = raw.value(DOC, "initial")
    out += states.check(DOC, "initial", initial)
    if text(initial) in finals:
        message = f"the initial state {initial!r} is final, so no order could ever move"
        out.append(Problem(DOC, "initial", message, ProblemCode.FINAL_INITIAL_STATE))
    transitions = raw.items(DOC, "transitions")
    for i, transition in transitions:
        path = f"transitions[{i}]"
        out += _check_transition(
            path, transition, states=states, finals=finals, permissions=permissions
        )
    if transitions and not any(t.get("records_resolution") is True for _, t in transitions):
        message = "no transition records a resolution (set records_resolution: true on one)"
        out.append(Problem(DOC, "transitions", message, ProblemCode.NO_RESOLUTION))
    return out


def _check_transition(
    path: str, t: dict[str, Any], *, states: Names, finals: set[str], permissions: Names
) -> list[Problem]:
    out: list[Problem] = []
    for j, source in texts(t, "from"):
        out += states.check(DOC, f"{path}.from[{j}]", source)
        if source in finals:
            message = f"state {source!r} is final: no transition may leave it"
            out.append(Problem(DOC, f"{path}.from[{j}]", message, ProblemCode.LEAVES_FINAL_STATE))
    out += states.check(DOC, f"{path}.to", t.get("to"))
    out += permissions.check(DOC, f"{path}.permission", t.get("permission"))
    if t.get("name") in EVENTS:
        message = f"{t['name']!r} is reserved for a clock event ({', '.join(EVENTS)})"
        out.append(Problem(DOC, f"{path}.name", message, ProblemCode.RESERVED_NAME))
    return out


KIND = DocumentKind(DOC, WorkflowDoc, build, check)
