"""`column IN (values)` for lists whose length varies: a scan batch's thousand ids, a page loader's
keys.

On PostgreSQL it is `column = ANY(array)`: one parameter however long the list, so the statement
is neither re-rendered by SQLAlchemy (~30 ms for 1,000 values) nor prepared again by the server
for each new length. SQLite has no arrays and keeps IN.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import any_, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession


def among(session: AsyncSession, column: Any, values: Collection[Any]) -> Any:
    return condition(session.get_bind().dialect.name, column, None, list(values))


def condition(dialect: str, column: Any, name: str | None, values: list[Any] | None = None) -> Any:
    """The condition for `dialect`, with `values` bound now, or under `name` when the statement
    runs (a statement built once, server/db/lookups.py)."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, values, type_=postgresql.ARRAY(column.type)))
    return column.in_(bindparam(name, values, expanding=True))
