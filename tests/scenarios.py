"""Helpers of the profile scenario tests (tests/test_scenario_*.py): Shanghai instants, one
GraphQL query with the order's deadlines, records and playbook, and the order's outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support import World

from schema.app import schema
from schema.context import Context
from schema.ids import key
from server.db.models import OutboxMessage, WorkOrder

SH = ZoneInfo("Asia/Shanghai")

ORDER = """
query Scenario($id: ID!) {
  workOrder(id: $id) {
    ... on WorkOrder {
    id version state grade tier category
    responseDueAt closureDueAt currentStepDueAt
    clocks { name status dueAt stoppedAt }
    playbook { zh en }
    writtenReports { id code label { zh en } createdAt dueAt escalatedTo submittedAt }
    facts { kind code recordedAt }
    history { kind transition comment }
    }
  }
}
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def iso(text: str) -> str:
    return at(text).astimezone(ZoneInfo("UTC")).isoformat()


async def query(world: World, username: str, text: str, **variables: Any) -> dict[str, Any]:
    caller = await world.caller(username)
    try:
        result = await schema.execute(
            text, variable_values=variables, context_value=Context(caller, "test")
        )
    finally:
        await caller.db.close()
    assert result.errors is None, result.errors
    assert result.data is not None
    return result.data


async def order(world: World, gid: str, username: str = "se") -> dict[str, Any]:
    found = (await query(world, username, ORDER, id=gid))["workOrder"]
    found["clock"] = {c["name"]: c for c in found["clocks"]}
    return found


def order_id(gid: str) -> int:
    return key("WorkOrder", gid)


async def messages(world: World, topic: str) -> list[OutboxMessage]:
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        rows = (
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
            )
        ).all()
    await db.close()
    return list(rows)


async def row(world: World, gid: str) -> WorkOrder:
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        found = await session.get(WorkOrder, order_id(gid))
    await db.close()
    assert found is not None
    return found
