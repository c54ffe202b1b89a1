"""Every way an order goes up a tier leaves it the same: escalated, unassigned at the new tier,
with an `escalated` history event giving the reason and a notice to the new tier's managers
(issue 11 item 1): a person escalating, a repeat complaint routed up, the deadline scan."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support import make_world, register
from test_escalation import handle

from schema.ids import decode
from server.db.models import OutboxMessage
from server.services import deadlines

SH = ZoneInfo("Asia/Shanghai")
PHONE = {"name": "王先生", "phones": ["13812345678"]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


async def detail(world, order_id):
    return (await world.gql("se", "OrderDetail", id=order_id))["workOrder"]


async def on_board(world, tier):
    """The escalations board as the SE reads it, filtered to one tier: number -> (tier, grade)."""
    nodes = (await world.gql("se", "Escalations", filter={"tiers": [tier]}))["escalations"]["nodes"]
    return {n["order"]["number"]: (n["order"]["tier"], n["order"]["grade"]) for n in nodes}


async def notices(world, order_gid):
    """Who was told the order was escalated to them."""
    order_id = decode("WorkOrder", order_gid)
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        mine = OutboxMessage.key.like(f"escalated:{order_id}:%")
        escalated = OutboxMessage.topic == "workorder.escalated"
        query = select(OutboxMessage.recipient_id).where(escalated, mine)
        found = set((await session.scalars(query)).all())
    await db.close()
    return found


async def test_a_b_order_breaching_its_closure_deadline_reaches_the_se_board_escalated(database):
    world = await make_world(database)
    world.clock.now = at("2025-04-30 16:30")
    order = await register(world, category="B4", grade="B")
    assign = {"id": order["id"], "expectedVersion": 1, "primaryHandlerId": world.user_gid("care_a")}
    await world.gql("manager_a", "AssignWorkOrder", input=assign)
    assert await on_board(world, "SALES_SE") == {}
    await deadlines.scan(database, at("2025-05-14 16:31"))  # closure due 05-14 16:30
    world.clock.now = at("2025-05-14 16:32")
    assert await on_board(world, "SALES_SE") == {order["number"]: ("SALES_SE", "C")}
    d = await detail(world, order["id"])
    assert (d["escalated"], d["primaryHandler"], d["version"]) == (True, None, 3)
    moved = [e for e in d["history"] if e["kind"] == "escalated"]
    assert len(moved) == 1 and moved[0]["actor"] is None
    assert moved[0]["comment"].startswith("closure deadline breached")
    assert world.users["se"] in await notices(world, order["id"])
    await deadlines.scan(database, at("2025-05-14 16:40"))  # the breach is acted on once
    assert (await detail(world, order["id"]))["version"] == 3


async def test_a_person_and_a_repeat_complaint_leave_the_same_escalated_state_and_event(database):
    world = await make_world(database)
    world.clock.now = at("2025-09-30 10:00")
    by_hand = await register(world, customer={"name": "李", "phones": ["13911112222"]})
    up = {"id": by_hand["id"], "expectedVersion": 1, "reason": "客户要求区域介入"}
    moved = (await world.gql("manager_a", "EscalateWorkOrder", input=up))["escalateWorkOrder"]
    assert moved["order"]["tier"] == "RBO"
    first = await register(world, customer=PHONE)
    await handle(world, "care_a", first, "2025-10-09 15:00")
    world.clock.now = at("2025-10-15 11:00")
    repeat = await register(world, customer=PHONE)
    assert set(await on_board(world, "RBO")) == {by_hand["number"], repeat["number"]}
    for order, actor in ((by_hand, "manager_a"), (repeat, "operator")):
        d = await detail(world, order["id"])
        assert (d["tier"], d["escalated"], d["primaryHandler"]) == ("RBO", True, None)
        moved = [e for e in d["history"] if e["kind"] == "escalated"]
        assert [e["actor"]["id"] for e in moved] == [world.user_gid(actor)]
    d = await detail(world, repeat["id"])
    assert [e["kind"] for e in d["history"]] == ["registered", "escalated"]
    assert first["number"] in d["history"][1]["comment"]
    assert world.users["rbo_east"] in await notices(world, repeat["id"])
