"""The calendar day of an instant in a tenant's timezone, as 'YYYY-MM-DD' text, computed by the
database so a day range is counted per day without its rows reaching Python. PostgreSQL converts
with the zone's rules; SQLite (tests and single-user trials) shifts by the zone's offset at the
range's start, exact for zones without daylight saving such as Asia/Shanghai."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import String, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import ColumnElement, FunctionElement


class LocalDay(FunctionElement[str]):
    type = String()
    inherit_cache = True


def local_day(
    instant: ColumnElement[Any] | QueryableAttribute[Any], zone: str, at: datetime
) -> LocalDay:
    offset = ZoneInfo(zone).utcoffset(at.replace(tzinfo=None))
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    return LocalDay(instant, literal(zone, String()), literal(f"{minutes:+d} minutes", String()))


@compiles(LocalDay, "postgresql")
def _postgresql(element: LocalDay, compiler: Any, **kw: Any) -> str:
    clauses = list(element.clauses)  # the SQLite offset stays out: an unused parameter fails
    instant, zone = (compiler.process(clause, **kw) for clause in clauses[:2])
    return f"to_char(timezone({zone}, {instant}), 'YYYY-MM-DD')"


@compiles(LocalDay, "sqlite")
def _sqlite(element: LocalDay, compiler: Any, **kw: Any) -> str:
    clauses = list(element.clauses)
    instant, offset = (compiler.process(clause, **kw) for clause in (clauses[0], clauses[2]))
    return f"date({instant}, {offset})"
