"""grades.yaml: the severity grades of a complaint, ranked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from server.profiles.crosscheck import Names, RawDocuments
from server.profiles.document import Coded, Document, DocumentKind, by_code
from server.profiles.problems import Problem
from server.profiles.runtime import Grade

DOC = "grades.yaml"


class GradeModel(Coded):
    rank: int  # higher is more severe


class GradesDoc(Document):
    grades: Annotated[list[GradeModel], Field(min_length=1)]


def build(doc: GradesDoc) -> Mapping[str, Any]:
    return {"grades": by_code(doc.grades, lambda g: Grade(g.code, g.label.to_label(), g.rank))}


def check(raw: RawDocuments) -> list[Problem]:
    return raw.duplicates(DOC, "grades", "code") + raw.duplicates(DOC, "grades", "rank")


def names(raw: RawDocuments) -> Names:
    """The grade codes other documents may name."""
    return Names(raw.names(DOC, "grades"), "grade", "grades")


KIND = DocumentKind(DOC, GradesDoc, build, check)
