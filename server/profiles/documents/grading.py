"""grading.yaml: grade proposals and immediate alerts at intake (docs/rules.md#intake-grading and
#alerts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.domain.grading import ALERT_RECIPIENTS, AlertRule, GradingRule
from server.profiles.crosscheck import Names, RawDocuments, texts
from server.profiles.document import Document, DocumentKind, LabelModel
from server.profiles.documents import flags, grades
from server.profiles.problems import Problem, ProblemCode

DOC = "grading.yaml"


class _WhenAny(Document):
    flags: list[str] = Field(default_factory=list)
    demands: list[str] = Field(default_factory=list)

    def codes(self) -> dict[str, frozenset[str]]:
        return {"flags": frozenset(self.flags), "demands": frozenset(self.demands)}


class _GradingRule(Document):
    grade: str
    when_any: _WhenAny
    reason: LabelModel


class _AlertRule(Document):
    when_any: _WhenAny
    notify: Annotated[list[str], Field(min_length=1)]
    reason: LabelModel


class GradingDoc(Document):
    rules: list[_GradingRule] = Field(default_factory=list)
    alerts: list[_AlertRule] = Field(default_factory=list)


def build(doc: GradingDoc) -> Mapping[str, Any]:
    return {
        "grading_rules": tuple(
            GradingRule(grade=r.grade, **r.when_any.codes(), reason=r.reason.to_label())
            for r in doc.rules
        ),
        "alerts": tuple(
            AlertRule(**a.when_any.codes(), notify=tuple(a.notify), reason=a.reason.to_label())
            for a in doc.alerts
        ),
    }


def check(raw: RawDocuments) -> list[Problem]:
    grade_names = grades.names(raw)
    recipients = Names(ALERT_RECIPIENTS, "recipient", "recipients")
    out: list[Problem] = []
    for i, rule in raw.items(DOC, "rules"):
        out += grade_names.check(DOC, f"rules[{i}].grade", rule.get("grade"))
        out += _check_when_any(raw, f"rules[{i}].when_any", rule.get("when_any"))
    for i, alert in raw.items(DOC, "alerts"):
        out += _check_when_any(raw, f"alerts[{i}].when_any", alert.get("when_any"))
        for j, who in texts(alert, "notify"):
            out += recipients.check(DOC, f"alerts[{i}].notify[{j}]", who)
    return out


def _check_when_any(raw: RawDocuments, path: str, when: Any) -> list[Problem]:
    """Each code must be one ticked at intake (flags.yaml), in the list it belongs to."""
    flag_names, demand_names = flags.names(raw)
    out = [
        problem
        for j, code in texts(when, "flags")
        for problem in _intake_code(f"{path}.flags[{j}]", code, flag_names, demand_names)
    ]
    out += [
        problem
        for j, code in texts(when, "demands")
        for problem in _intake_code(f"{path}.demands[{j}]", code, demand_names, flag_names)
    ]
    # Only when both lists are well-formed: a broken list is reported by its shape check already.
    lists = ("flags", "demands")
    if isinstance(when, dict) and all(
        isinstance(when.get(k, []), list) and not when.get(k) for k in lists
    ):
        message = "lists no flag or demand, so the rule could never match"
        out.append(Problem(DOC, path, message, ProblemCode.NEVER_MATCHES))
    return out


def _intake_code(path: str, code: str, names: Names, other: Names) -> list[Problem]:
    # A demand listed under flags (or the reverse) is the likely slip: say so rather than "unknown".
    if names.known is not None and code not in names.known and code in (other.known or []):
        message = (
            f"{code!r} is one of the {other.plural}, not the {names.plural}:"
            f" list it under {other.plural}"
        )
        return [Problem(DOC, path, message, ProblemCode.WRONG_LIST)]
    return names.check(DOC, path, code)


KIND = DocumentKind(DOC, GradingDoc, build, check, required=False)
