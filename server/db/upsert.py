"""INSERT with ON CONFLICT, which PostgreSQL and SQLite both have under their own dialect's construct:
how effects, slips, outbox rows, order numbers and scheduler ticks are written exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """`insert(table)` in the dialect of the session's database, with on_conflict_do_nothing/do_update."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(table)
