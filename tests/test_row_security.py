"""PostgreSQL's row-level security behind the ORM's tenant filter: SQL that bypasses the ORM, run
in a tenant's session, still sees and writes only that tenant's rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support import make_world, register

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


async def test_raw_sql_in_a_tenant_session_sees_only_that_tenants_rows(database):
    mine, theirs = await make_world(database), await make_world(database)
    await register(mine)
    await register(theirs)
    await register(theirs)
    async with database.reader(mine.tenant_id) as session:
        tenants = (
            (await session.execute(text("SELECT DISTINCT tenant_id FROM work_orders")))
            .scalars()
            .all()
        )
        names = (await session.execute(text("SELECT slug FROM tenants"))).scalars().all()
        users = await session.scalar(
            text("SELECT count(*) FROM users WHERE tenant_id = :t"), {"t": theirs.tenant_id}
        )
    assert tenants == [mine.tenant_id]
    assert names == [mine.slug]
    assert users == 0


async def test_a_tenant_session_cannot_write_a_row_of_another_tenant(database):
    mine, theirs = await make_world(database), await make_world(database)
    order = await register(theirs)
    async with database.writer(mine.tenant_id) as session:
        changed = await session.execute(
            text("UPDATE work_orders SET summary = 'hijacked' WHERE number = :n"),
            {"n": order["number"]},
        )
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError, match="row-level security"):
            await session.execute(
                text(
                    "INSERT INTO number_sequences (tenant_id, day, value) "
                    "VALUES (:t, '20261202', 1)"
                ),
                {"t": theirs.tenant_id},
            )
    async with database.platform() as session:
        summary = await session.scalar(
            text("SELECT summary FROM work_orders WHERE number = :n"), {"n": order["number"]}
        )
    assert summary != "hijacked"
