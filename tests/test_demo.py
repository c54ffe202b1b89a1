"""The demo tenant as `make run` loads it: nothing in it happened after the moment it was loaded."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from server.db.models import Base
from server.db.types import UtcDateTime
from server.services import demo

# Columns that hold a target or a plan, not something that happened: they may lie ahead.
AHEAD = {"due_at", "warn_at", "next_check_at", "next_deadline_at", "next_attempt_at"}


def happened_columns():
    for table in Base.metadata.sorted_tables:
        if "tenant_id" not in table.c:
            continue
        for column in table.c:
            if isinstance(column.type, UtcDateTime) and column.name not in AHEAD:
                yield table, column


async def test_the_demo_has_no_instant_after_it_was_loaded(database):
    before = datetime.now(UTC)
    await demo.load_demo(database, progress=lambda _line: None)
    loaded = datetime.now(UTC)
    tenant_id = (await demo.demo_users(database)).tenant_id
    db = database.tenant(tenant_id)
    latest = {}
    async with db.read() as session:
        for table, column in happened_columns():
            latest[f"{table.name}.{column.name}"] = await session.scalar(
                select(func.max(column)).where(table.c.tenant_id == tenant_id)
            )
    await db.close()
    future = {name: at for name, at in latest.items() if at is not None and at > loaded}
    assert not future, f"dated after the demo was loaded at {loaded}: {future}"
    # It reaches up to the load: its last step was taken at the load moment, not weeks before.
    assert before <= latest["work_order_events.at"] <= loaded
