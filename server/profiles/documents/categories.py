"""categories.yaml: order types and the categories of each, with default grade and routing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments, text, texts
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.documents import grades, routing
from server.profiles.problems import Problem, ProblemCode
from server.profiles.runtime import Category, OrderType

DOC = "categories.yaml"


class _OrderType(Coded):
    nature: Literal["complaint", "consultation"]
    kind: Literal["sales", "aftersales"]

    def build(self) -> OrderType:
        return OrderType(self.code, self.label.to_label(), nature=self.nature, kind=self.kind)


class _Category(Coded):
    order_type: str
    grade: str | None = None
    routing: list[str]

    def build(self) -> Category:
        return Category(
            self.code,
            self.label.to_label(),
            order_type=self.order_type,
            grade=self.grade,
            routing=tuple(self.routing),
        )


class CategoriesDoc(Document):
    order_types: Annotated[list[_OrderType], Field(min_length=1)]
    categories: Annotated[list[_Category], Field(min_length=1)]


def build(doc: CategoriesDoc) -> Mapping[str, Any]:
    return {
        "order_types": by_code(doc.order_types, _OrderType.build),
        "categories": by_code(doc.categories, _Category.build),
    }


def check(raw: RawDocuments) -> list[Problem]:
    out = raw.duplicates(DOC, "order_types", "code") + raw.duplicates(DOC, "categories", "code")
    order_types = raw.items(DOC, "order_types")
    natures = {t.get("code"): t.get("nature") for _, t in order_types if text(t.get("code"))}
    types = Names(raw.names(DOC, "order_types"), "order type", "order types")
    grade_names, tiers = grades.names(raw), routing.names(raw)
    for i, category in raw.items(DOC, "categories"):
        path, grade = f"categories[{i}]", category.get("grade")
        out += types.check(DOC, f"{path}.order_type", category.get("order_type"))
        out += grade_names.check(DOC, f"{path}.grade", grade)
        if grade is None and natures.get(text(category.get("order_type"))) == "complaint":
            listed = ", ".join(grade_names.known or [])
            message = f"a complaint category needs a default grade (grades: {listed})"
            out.append(Problem(DOC, f"{path}.grade", message, ProblemCode.MISSING_DEFAULT_GRADE))
        for j, tier in texts(category, "routing"):
            out += tiers.check(DOC, f"{path}.routing[{j}]", tier)
    return out


def names(raw: RawDocuments) -> Names:
    """The category codes other documents may name."""
    return Names(raw.names(DOC, "categories"), "category", "categories")


KIND = DocumentKind(DOC, CategoriesDoc, build, check)
