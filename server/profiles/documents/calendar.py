"""calendar.yaml: the tenant's own days on top of the statutory calendar (e.g. a training day)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from server.profiles.document import Document, DocumentKind
from server.profiles.validators import IsoDate


class _CalendarDay(Document):
    date: IsoDate
    note: str | None = None


class CalendarDoc(Document):
    holidays: list[_CalendarDay] = []
    workdays: list[_CalendarDay] = []


def build(doc: CalendarDoc) -> Mapping[str, Any]:
    return {
        "extra_holidays": frozenset(date.fromisoformat(d.date) for d in doc.holidays),
        "extra_workdays": frozenset(date.fromisoformat(d.date) for d in doc.workdays),
    }


KIND = DocumentKind("calendar.yaml", CalendarDoc, build, required=False)
