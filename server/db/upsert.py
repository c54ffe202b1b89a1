"""INSERT with ON CONFLICT, which PostgreSQL and SQLite both have under their own dialect's
construct: how effects, slips, outbox rows, order numbers and scheduler ticks are written exactly
once."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """`insert(table)` in the dialect of the session's database, with
    on_conflict_do_nothing/do_update."""
    return (postgresql if _postgresql(session) else sqlite).insert(table)


def insert_many(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]
) -> tuple[Any, Any]:
    """insert() of many rows, all with the same keys: (statement, parameters) for `session.execute`.
    The rows are inserted in their order, so generated ids ascend with it.

    On PostgreSQL the rows travel as one array per column, unnested by the server: the statement's
    text is the same however many rows there are, so it is rendered and prepared once per
    connection, where a multi-row VALUES is rendered by SQLAlchemy, and parsed and planned by the
    server, again for each new row count (1,750 outbox rows of 8 columns: 14,000 parameters).
    SQLite takes the rows as an executemany."""
    if not _postgresql(session):
        return sqlite.insert(table), list(rows)
    columns = tuple(rows[0])
    statement = _unnested_insert(table, columns)
    return statement, {name: [row[name] for row in rows] for name in columns}


# Made once per table and columns: built per call, the statement and its cache key cost a
# registration (three of these) ~0.5 ms of CPU (bench/README.md, issue 19).
@cache
def _unnested_insert(table: Table, columns: tuple[str, ...]) -> Any:
    arrays = [bindparam(name, type_=postgresql.ARRAY(table.c[name].type)) for name in columns]
    unnested = (
        func.unnest(*arrays).table_valued(*columns, with_ordinality="position").render_derived()
    )
    ordered = select(*(unnested.c[name] for name in columns)).order_by(unnested.c.position)
    return postgresql.insert(table).from_select(list(columns), ordered)


_MADE: dict[tuple[str, str], Any] = {}


def made_once(dialect: str, name: str, build: Callable[[Callable[[Any], Any]], Any]) -> Any:
    """The statement `name`, built once per dialect by `build(insert)` (the dialect's insert) and
    run with each row's values as parameters: built per call, its construction and cache key
    were a good part of a registration's CPU (bench/README.md, issue 19)."""
    made = _MADE.get((dialect, name))
    if made is None:
        insert = (postgresql if dialect == "postgresql" else sqlite).insert
        made = _MADE[(dialect, name)] = build(insert)
    return made


def dialect_of(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"
