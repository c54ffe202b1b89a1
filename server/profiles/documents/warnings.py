"""warnings.yaml: upgrade-warning slips (升级预警): any one rule firing issues a slip to the
escalation tier, which must acknowledge it within the time given."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.domain.escalation import WarningRule
from server.domain.workflow import Meaning
from server.profiles.crosscheck import Names, RawDocuments, mapping, texts
from server.profiles.document import Document, DocumentKind, LabelModel
from server.profiles.documents import flags
from server.profiles.problems import Problem, ProblemCode
from server.profiles.runtime import ClockTarget
from server.profiles.validators import ClockUnit

DOC = "warnings.yaml"


class _WarningWhen(Document):
    state: str | None = None  # a state meaning: unprocessed, in_progress, ...
    calls_at_least: Annotated[int, Field(ge=1)] | None = None
    flags: list[str] = Field(default_factory=list)
    demands: list[str] = Field(default_factory=list)


class _WarningRule(Document):
    code: str
    label: LabelModel
    when: _WarningWhen

    def build(self) -> WarningRule:
        when = self.when
        return WarningRule(
            code=self.code,
            label=self.label.to_label(),
            meaning=Meaning(when.state) if when.state else None,
            calls_at_least=when.calls_at_least,
            flags=frozenset(when.flags),
            demands=frozenset(when.demands),
        )


class _ClockTarget(Document):
    target: Annotated[int, Field(ge=1)]
    unit: ClockUnit


class WarningsDoc(Document):
    acknowledge_within: _ClockTarget | None = None
    rules: list[_WarningRule] = Field(default_factory=list)


def build(doc: WarningsDoc) -> Mapping[str, Any]:
    ack = doc.acknowledge_within
    return {
        "warning_rules": tuple(rule.build() for rule in doc.rules),
        "slip_acknowledgement": ClockTarget(ack.target, ack.unit) if ack else None,
    }


def check(raw: RawDocuments) -> list[Problem]:
    flag_names, demand_names = flags.names(raw)
    meanings = Names([m.value for m in Meaning], "state meaning", "meanings")
    out: list[Problem] = []
    for i, rule in raw.items(DOC, "rules"):
        path = f"rules[{i}].when"
        when = mapping(rule.get("when"))
        out += meanings.check(DOC, f"{path}.state", when.get("state"))
        for names in (flag_names, demand_names):
            for j, code in texts(when, names.plural):
                out += names.check(DOC, f"{path}.{names.plural}[{j}]", code)
        if when and not (when.get("state") or when.get("flags") or when.get("demands")):
            message = (
                "name a state, flags or demands: a rule with no condition would fire on every order"
            )
            out.append(Problem(DOC, path, message, ProblemCode.ALWAYS_FIRES))
    return out + raw.duplicates(DOC, "rules", "code")


KIND = DocumentKind(DOC, WarningsDoc, build, check, required=False)
