"""cadence.yaml: the cadence reports (document kind `cadence_reports`, DOMAIN.md Part II
§8.3-8.4): each report's code and label, weekly or monthly, on which day and hour in the tenant's
timezone, to which roles; and the longest range a board trend, an analysis or an export may
cover. Left out, the tenant gets no cadence reports and ranges of up to 13 months."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Literal

from pydantic import Field

from server.domain.cadence import CadenceRule, CadenceRules, Every
from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Coded, Document, DocumentKind
from server.profiles.problems import Problem, ProblemCode

DOC = "cadence.yaml"


class _Report(Coded):
    every: Literal["week", "month"]
    day: Annotated[int, Field(ge=1, le=28)]  # a weekday 1..7 for a weekly report
    hour: Annotated[int, Field(ge=0, le=23)] = 9
    roles: Annotated[list[str], Field(min_length=1)]

    def build(self) -> CadenceRule:
        label, every, roles = self.label.to_label(), Every(self.every), tuple(self.roles)
        return CadenceRule(self.code, label, every, self.day, self.hour, roles)


class CadenceDoc(Document):
    max_range_months: Annotated[int, Field(ge=1, le=36)] = 13
    reports: list[_Report] = Field(default_factory=list)


def build(doc: CadenceDoc) -> Mapping[str, Any]:
    reports = MappingProxyType({r.code: r.build() for r in doc.reports})
    return {"cadence": CadenceRules(doc.max_range_months, reports)}


def check(raw: RawDocuments) -> list[Problem]:
    out: list[Problem] = []
    roles = Names(sorted(raw.catalogue.roles), "role", "roles")
    for i, report in raw.items(DOC, "reports"):
        day = report.get("day")
        if report.get("every") == "week" and isinstance(day, int) and day > 7:
            message = "a weekly report's day is a weekday, 1 (Monday) to 7 (Sunday)"
            out.append(Problem(DOC, f"reports[{i}].day", message, ProblemCode.INVALID_VALUE))
        for j, role in enumerate(report.get("roles") or []):
            out += roles.check(DOC, f"reports[{i}].roles[{j}]", role)
    return out + raw.duplicates(DOC, "reports", "code")


KIND = DocumentKind(DOC, CadenceDoc, build, check, required=False)
