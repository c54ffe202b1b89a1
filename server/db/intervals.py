"""An instant plus whole natural days, computed by the database: PostgreSQL adds an interval;
SQLite shifts the stored text and writes it back in the format SQLAlchemy stores instants in, so
the result compares with stored instants as text."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from server.db.types import UtcDateTime


class PlusDays(FunctionElement[Any]):
    type = UtcDateTime()
    inherit_cache = True


def plus_days(instant: ColumnElement[Any] | QueryableAttribute[Any], days: int) -> PlusDays:
    return PlusDays(instant, literal(days, Integer()))


@compiles(PlusDays, "postgresql")
def _postgresql(element: PlusDays, compiler: Any, **kw: Any) -> str:
    instant, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"({instant} + make_interval(days => {days}))"


@compiles(PlusDays, "sqlite")
def _sqlite(element: PlusDays, compiler: Any, **kw: Any) -> str:
    instant, days = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"strftime('%Y-%m-%d %H:%M:%f000', {instant}, '+' || {days} || ' days')"
