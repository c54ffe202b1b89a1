"""handling.yaml: the tier an order starts at by its grade, the departments of a dealer, the
transfers that route an order to one of them, and separation of duties between steps
(docs/rules.md#handling)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import Field

from server.domain.handling import Authority, HandlingRules
from server.domain.tree import valid_code
from server.profiles.crosscheck import Names, RawDocuments, texts
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.documents import grades, routing
from server.profiles.problems import Problem, ProblemCode

DOC = "handling.yaml"
WORKFLOW = "workflow.yaml"
CATEGORIES = "categories.yaml"


class _StartTier(Document):
    grade: str
    tier: str


class _Authority(Coded):
    department: str
    role: str


class _Transfer(Document):
    transition: str
    authorities: Annotated[list[_Authority], Field(min_length=1)]


class _Separation(Document):
    transition: str
    not_by_actor_of: Annotated[list[str], Field(min_length=1)]


class HandlingDoc(Document):
    start_tier_by_grade: list[_StartTier] = Field(default_factory=list)
    departments: list[Coded] = Field(default_factory=list)
    transfers: list[_Transfer] = Field(default_factory=list)
    separation_of_duties: list[_Separation] = Field(default_factory=list)


def _authority(a: _Authority) -> Authority:
    return Authority(a.code, a.label.to_label(), department=a.department, role=a.role)


def build(doc: HandlingDoc) -> Mapping[str, Any]:
    rules = HandlingRules(
        start_tier=MappingProxyType({r.grade: r.tier for r in doc.start_tier_by_grade}),
        departments=by_code(doc.departments, lambda d: d.label.to_label()),
        transfers=MappingProxyType(
            {t.transition: by_code(t.authorities, _authority) for t in doc.transfers}
        ),
        separated_from=MappingProxyType(
            {s.transition: frozenset(s.not_by_actor_of) for s in doc.separation_of_duties}
        ),
    )
    return {"handling": rules}


def check(raw: RawDocuments) -> list[Problem]:
    out = raw.duplicates(DOC, "start_tier_by_grade", "grade")
    out += raw.duplicates(DOC, "departments", "code")
    out += raw.duplicates(DOC, "transfers", "transition")
    out += raw.duplicates(DOC, "separation_of_duties", "transition")
    grade_names, tiers = grades.names(raw), routing.names(raw)
    transitions = Names(raw.names(WORKFLOW, "transitions", "name"), "transition", "transitions")
    departments = Names(raw.names(DOC, "departments"), "department", "departments")
    roles = Names(sorted(raw.catalogue.roles), "role", "roles")
    for i, department in raw.items(DOC, "departments"):
        code = department.get("code")
        if isinstance(code, str) and not valid_code(code):
            message = (
                f"department {code!r} can never name an org unit: use 2-40 lowercase letters, "
                "digits and hyphens"
            )
            out.append(Problem(DOC, f"departments[{i}].code", message, ProblemCode.INVALID_VALUE))
    routed = {
        category.get("code"): [t for _, t in texts(category, "routing")]
        for _, category in raw.items(CATEGORIES, "categories")
    }
    for i, rule in raw.items(DOC, "start_tier_by_grade"):
        out += grade_names.check(DOC, f"start_tier_by_grade[{i}].grade", rule.get("grade"))
        tier, path = rule.get("tier"), f"start_tier_by_grade[{i}].tier"
        out += tiers.check(DOC, path, tier)
        # Escalating from a tier outside a category's routing has nowhere sensible to go.
        outside = [str(code) for code, table in routed.items() if table and tier not in table]
        if tier in (tiers.known or ()) and outside:
            message = f"tier {tier!r} is not in the routing of categories {', '.join(outside)}"
            out.append(Problem(DOC, path, message, ProblemCode.UNKNOWN_REFERENCE))
    for i, transfer in raw.items(DOC, "transfers"):
        path = f"transfers[{i}]"
        out += transitions.check(DOC, f"{path}.transition", transfer.get("transition"))
        for j, authority in enumerate(transfer.get("authorities") or []):
            if not isinstance(authority, dict):
                continue
            where = f"{path}.authorities[{j}]"
            out += departments.check(DOC, f"{where}.department", authority.get("department"))
            out += roles.check(DOC, f"{where}.role", authority.get("role"))
    for i, rule in raw.items(DOC, "separation_of_duties"):
        path = f"separation_of_duties[{i}]"
        out += transitions.check(DOC, f"{path}.transition", rule.get("transition"))
        for j, name in texts(rule, "not_by_actor_of"):
            out += transitions.check(DOC, f"{path}.not_by_actor_of[{j}]", name)
    return out


KIND = DocumentKind(DOC, HandlingDoc, build, check, required=False)
