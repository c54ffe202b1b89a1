"""PostgreSQL refuses to rewrite the history and to let a session leave its tenant (migration
0020, docs/database-roles.md). Every statement here is SQL a tenant's session could be tricked into
running; each is refused by the database itself, and nothing changes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from support import make_world, register

from server.db import binding
from server.db.session import Database
from server.services import outbox

pytestmark = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


async def refused(database: Database, tenant_id: int, sql: str, match: str, **params: Any) -> None:
    async with database.writer(tenant_id) as session:
        with pytest.raises(DBAPIError, match=match):
            await session.execute(text(sql), params)
        await session.rollback()


async def scalar(database: Database, tenant_id: int | None, sql: str, **params: Any) -> Any:
    session = database.platform() if tenant_id is None else database.reader(tenant_id)
    async with session:
        return await session.scalar(text(sql), params)


async def test_the_history_can_be_added_to_and_never_changed(database):
    world = await make_world(database)
    order = await register(world)
    before = await scalar(database, world.tenant_id, "SELECT count(*) FROM work_order_events")
    assert before > 0
    for table in sorted(binding.APPEND_ONLY):
        await refused(
            database, world.tenant_id, f"UPDATE {table} SET tenant_id = tenant_id", "permission"
        )
        await refused(database, world.tenant_id, f"DELETE FROM {table}", "permission")
    # Not even the platform's transactions rewrite it: the login role may only add to it.
    async with database.platform() as session:
        with pytest.raises(DBAPIError, match="permission"):
            await session.execute(text("UPDATE work_order_events SET comment = 'rewritten'"))
    after = await scalar(database, world.tenant_id, "SELECT count(*) FROM work_order_events")
    kinds = await scalar(
        database,
        world.tenant_id,
        "SELECT string_agg(kind, ',') FROM work_order_events e JOIN work_orders o "
        "ON o.id = e.work_order_id WHERE o.number = :n",
        n=order["number"],
    )
    assert after == before
    assert kinds and "rewritten" not in kinds


async def test_a_sent_notification_is_history_and_an_owed_one_is_not(database):
    world = await make_world(database)
    message = outbox.Message("binding-test", "test", "owed", {})
    async with database.writer(world.tenant_id) as session, session.begin():
        await outbox.put(session, message, {world.users["care_a"]}, datetime.now(UTC))
    async with database.writer(world.tenant_id) as session, session.begin():
        owed = await session.execute(text("UPDATE outbox SET attempts = attempts + 1"))
        assert owed.rowcount > 0  # an owed message moves on with its attempts
        await session.execute(text("UPDATE outbox SET delivered_at = now()"))
    async with database.writer(world.tenant_id) as session, session.begin():
        sent = await session.execute(text("UPDATE outbox SET subject = 'rewritten'"))
        assert sent.rowcount == 0
    await refused(database, world.tenant_id, "DELETE FROM outbox", "permission")
    subjects = await scalar(
        database, world.tenant_id, "SELECT string_agg(subject, ',') FROM outbox"
    )
    assert "rewritten" not in subjects


async def test_a_tenant_cannot_change_its_tenant_row(database):
    world = await make_world(database)
    await refused(database, world.tenant_id, "UPDATE tenants SET name = 'renamed'", "permission")
    await refused(database, world.tenant_id, "DELETE FROM tenants", "permission")
    name = await scalar(database, None, "SELECT name FROM tenants WHERE id = :t", t=world.tenant_id)
    assert name != "renamed"


async def test_a_transaction_bound_to_a_tenant_cannot_switch_to_another(database):
    mine, theirs = await make_world(database), await make_world(database)
    await register(theirs)
    for sql in ("SELECT complaintdesk_enter(:other)", "SELECT complaintdesk_enter_platform()"):
        await refused(
            database, mine.tenant_id, sql, "bound to another scope", other=theirs.tenant_id
        )
    async with database.platform() as session:
        with pytest.raises(DBAPIError, match="bound to another scope"):
            await session.execute(text("SELECT complaintdesk_enter(:t)"), {"t": mine.tenant_id})
    # The settings a session can write are not what the policies read.
    async with database.writer(mine.tenant_id) as session:
        await session.execute(
            text(
                "SELECT set_config('complaintdesk.tenant_id', :other, true), "
                "set_config('complaintdesk.binding', 't' || :other || '/forged', true)"
            ),
            {"other": str(theirs.tenant_id)},
        )
        orders = await session.scalar(text("SELECT count(*) FROM work_orders"))
        tenants = await session.scalar(text("SELECT count(*) FROM tenants"))
    assert (orders, tenants) == (0, 0)


async def test_a_binding_copied_from_another_transaction_is_worth_nothing(database):
    mine, theirs = await make_world(database), await make_world(database)
    await register(theirs)
    theirs_seal = await scalar(
        database, theirs.tenant_id, "SELECT current_setting('complaintdesk.binding')"
    )
    async with database.writer(mine.tenant_id) as session:
        await session.execute(
            text("SELECT set_config('complaintdesk.binding', :seal, true)"), {"seal": theirs_seal}
        )
        orders = await session.scalar(text("SELECT count(*) FROM work_orders"))
    assert orders == 0


async def test_reset_role_is_no_way_out(database):
    mine, theirs = await make_world(database), await make_world(database)
    await register(mine)
    await register(theirs)
    async with database.writer(mine.tenant_id) as session:
        assert await session.scalar(text("SELECT current_user")) == binding.TENANT_ROLE
        await session.execute(text("RESET ROLE"))
        assert await session.scalar(text("SELECT current_user")) == binding.LOGIN_ROLE
        role = (
            await session.execute(
                text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            )
        ).one()
        assert tuple(role) == (False, False)
        assert await session.scalar(text("SELECT count(*) FROM work_orders")) == 0
        assert await session.scalar(text("SELECT count(*) FROM tenants")) == 0
        changed = await session.execute(text("UPDATE work_orders SET summary = 'hijacked'"))
        assert changed.rowcount == 0
        with pytest.raises(DBAPIError, match="permission"):
            await session.execute(text("UPDATE work_order_events SET comment = 'rewritten'"))
    await refused(database, mine.tenant_id, "SET ROLE postgres", "permission")
    async with database.writer(mine.tenant_id) as session:
        await session.execute(text("SELECT set_config('role', :r, true)"), {"r": "none"})
        assert await session.scalar(text("SELECT count(*) FROM work_orders")) == 0


async def test_every_tenant_table_is_under_the_binding(database):
    """A table with a tenant_id column that a later migration leaves outside the binding (or under
    a policy on a settable setting) fails here: docs/database-roles.md says how to add one."""
    async with database.platform() as session:
        tables = (await session.scalars(text(binding.TENANT_TABLES_QUERY))).all()
        unbound = []
        for table in tables:
            secured = await session.scalar(
                text("SELECT relrowsecurity FROM pg_class WHERE relname = :t"), {"t": table}
            )
            policies = dict(
                (
                    await session.execute(
                        text(
                            "SELECT policyname, coalesce(qual, '') || coalesce(with_check, '') "
                            "FROM pg_policies WHERE schemaname = 'public' AND tablename = :t"
                        ),
                        {"t": table},
                    )
                ).all()
            )
            fine = (
                secured
                and "complaintdesk_tenant()" in policies.get("tenant_rows", "")
                and "complaintdesk_platform()" in policies.get("platform_rows", "")
                and not any("current_setting" in p for p in policies.values())
            )
            if not fine:
                unbound.append(table)
        writable_history = (
            await session.scalars(
                text(
                    "SELECT table_name FROM information_schema.role_table_grants "
                    "WHERE grantee = :role AND privilege_type IN ('UPDATE', 'DELETE') "
                    "AND table_name = ANY(:history)"
                ),
                {"role": binding.TENANT_ROLE, "history": sorted(binding.APPEND_ONLY)},
            )
        ).all()
    assert len(tables) > 20
    assert unbound == []
    assert writable_history == []
