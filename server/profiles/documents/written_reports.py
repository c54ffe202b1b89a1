"""written_reports.yaml: reports an order owes from its registration, each with its own deadline
and the tier told at once (docs/rules.md#written-reports)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.profiles.crosscheck import RawDocuments, texts
from server.profiles.document import Coded, Document, DocumentKind
from server.profiles.documents import flags, routing
from server.profiles.problems import Problem, ProblemCode
from server.profiles.rules import WrittenReportRule
from server.profiles.validators import ClockUnit

DOC = "written_reports.yaml"


class _WhenAny(Document):
    flags: list[str] = Field(default_factory=list)
    demands: list[str] = Field(default_factory=list)


class _Due(Document):
    target: Annotated[int, Field(ge=0)]  # 0: at once
    unit: ClockUnit


class _Report(Coded):
    when_any: _WhenAny
    due: _Due
    escalate_to: str


class WrittenReportsDoc(Document):
    reports: list[_Report] = Field(default_factory=list)


def build(doc: WrittenReportsDoc) -> Mapping[str, Any]:
    return {
        "written_reports": tuple(
            WrittenReportRule(
                code=r.code,
                label=r.label.to_label(),
                flags=frozenset(r.when_any.flags),
                demands=frozenset(r.when_any.demands),
                target=r.due.target,
                unit=r.due.unit,
                escalate_to=r.escalate_to,
            )
            for r in doc.reports
        )
    }


def check(raw: RawDocuments) -> list[Problem]:
    flag_names, demand_names = flags.names(raw)
    tiers = routing.names(raw)
    out = raw.duplicates(DOC, "reports", "code")
    for i, report in raw.items(DOC, "reports"):
        path = f"reports[{i}]"
        when = report.get("when_any")
        for key, names in (("flags", flag_names), ("demands", demand_names)):
            for j, code in texts(when, key):
                out += names.check(DOC, f"{path}.when_any.{key}[{j}]", code)
        if isinstance(when, dict) and not (texts(when, "flags") or texts(when, "demands")):
            message = "lists no flag or demand, so the report would never be owed"
            out.append(Problem(DOC, f"{path}.when_any", message, ProblemCode.NEVER_MATCHES))
        out += tiers.check(DOC, f"{path}.escalate_to", report.get("escalate_to"))
    return out


KIND = DocumentKind(DOC, WrittenReportsDoc, build, check, required=False)
