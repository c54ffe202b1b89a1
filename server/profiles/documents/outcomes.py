"""outcomes.yaml: how a matter ended (e.g. settled, legal proceedings, arbitration), recorded on
the order in the states that allow it (docs/rules.md#outcomes)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments, texts
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem, ProblemCode

DOC = "outcomes.yaml"


class OutcomesDoc(Document):
    outcomes: list[Coded] = Field(default_factory=list)
    recorded_in: list[str] = Field(default_factory=list)  # workflow states


def build(doc: OutcomesDoc) -> Mapping[str, Any]:
    return {
        "outcomes": by_code(doc.outcomes, lambda o: o.label.to_label()),
        "outcome_states": tuple(doc.recorded_in),
    }


def check(raw: RawDocuments) -> list[Problem]:
    states = Names(raw.names("workflow.yaml", "states", "name"), "state", "states")
    out = raw.duplicates(DOC, "outcomes", "code")
    recorded_in = raw.value(DOC, "recorded_in")
    for j, state in texts({"recorded_in": recorded_in}, "recorded_in"):
        out += states.check(DOC, f"recorded_in[{j}]", state)
    if raw.names(DOC, "outcomes") and not recorded_in:
        message = "no state allows recording an outcome (list them under recorded_in)"
        out.append(Problem(DOC, "recorded_in", message, ProblemCode.NEVER_MATCHES))
    return out


KIND = DocumentKind(DOC, OutcomesDoc, build, check, required=False)
