"""calendar.yaml: the tenant's own days on top of the statutory calendar (e.g. a training day)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import Field

from server.profiles.document import Document, DocumentKind
from server.profiles.validators import IsoDate


class _CalendarDay(Document):
    date: IsoDate
    note: str | None = None


class CalendarDoc(Document):
    holidays: list[_CalendarDay] = Field(default_factory=list)
    workdays: list[_CalendarDay] = Field(default_factory=list)


def build(doc: CalendarDoc) -> Mapping[str, Any]:
    return {
        "extra_holidays": frozenset(date.fromisoformat(d.date) for d in doc.holidays),
        "extra_workdays": frozenset(date.fromisoformat(d.date) for d in doc.workdays),
    }


KIND = DocumentKind("calendar.yaml", CalendarDoc, build, required=False)
