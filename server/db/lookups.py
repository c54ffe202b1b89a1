"""The batch look-ups behind the request loaders: the rows of a table whose key column is among
some keys, as Core statements built once per table, column and dialect.

A page runs about six of them. Built per call through the ORM, one cost ~0.7 ms of CPU for 50
keys (statement construction, its cache key, the tenant option, an instance per row); built once
and run as Core, ~0.35 ms (bench/README.md, "Findings"). The rows come back as Row tuples, read
by attribute like the mapped objects, whose attribute names are their column names.

Each statement carries its tenant condition, bound from the session's tenant, so no look-up can
leave it out: the ORM filter of session.py does not reach Core statements.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import cache
from typing import Any

from sqlalchemy import Row, Select, Table, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import among
from server.db.session import TENANT, TenantScopeError


@cache
def _rows_statement(table: Table, key: str, dialect: str) -> Select[Any]:
    return (
        select(table)
        .where(
            among.condition(dialect, table.c[key], "keys"),
            table.c.tenant_id == bindparam("tenant_id"),
        )
        .order_by(table.c.id)
    )


@cache
def _newest_statement(table: Table, key: str, dialect: str) -> Select[Any]:
    mine = (
        among.condition(dialect, table.c[key], "keys"),
        table.c.tenant_id == bindparam("tenant_id"),
    )
    newest = select(func.max(table.c.id)).where(*mine).group_by(table.c[key])
    return select(table).where(table.c.id.in_(newest), table.c.tenant_id == bindparam("tenant_id"))


async def rows(session: AsyncSession, column: Any, keys: Collection[Any]) -> list[Row[Any]]:
    """The rows whose `column` (a mapped column of a tenant-owned model) is one of `keys`, in the
    order they were written."""
    return await _run(session, _rows_statement, column, keys)


async def newest(session: AsyncSession, column: Any, keys: Collection[Any]) -> list[Row[Any]]:
    """For each of `keys`, the newest row whose `column` is that key."""
    return await _run(session, _newest_statement, column, keys)


async def _run(
    session: AsyncSession, statement: Any, column: Any, keys: Collection[Any]
) -> list[Row[Any]]:
    tenant_id = session.info.get(TENANT)
    if tenant_id is None:
        raise TenantScopeError("session is bound to no tenant")
    built = statement(column.class_.__table__, column.key, session.get_bind().dialect.name)
    return list((await session.execute(built, {"keys": list(keys), "tenant_id": tenant_id})).all())
