"""Clocks that report what happened (issue 11 item 9): a stopped clock keeps the time it ran, a
move between tiers restarts nothing the profile does not say, and a cancelled order's open clocks
end as cancelled, neither met nor breached."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from support import make_world, register, registration

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def iso(text: str) -> str:
    return at(text).astimezone(ZoneInfo("UTC")).isoformat()


async def clocks_of(world, order_id):
    detail = (await world.gql("se", "OrderDetail", id=order_id))["workOrder"]
    return detail, {c["name"]: c for c in detail["clocks"]}


async def step(world, who, order_id, version, name, comment=None):
    values = {"id": order_id, "expectedVersion": version, "transition": name, "comment": comment}
    result = (await world.gql(who, "TransitionWorkOrder", input=values))["transitionWorkOrder"]
    assert result["__typename"] == "WorkOrderPayload", result
    return result["order"]


async def test_a_stopped_clock_reports_the_time_it_ran(database):
    world = await make_world(database)
    world.clock.now = at("2025-09-26 17:55")  # Friday: 5 business minutes, then the make-up Sunday
    order = await register(world)
    world.clock.now = at("2025-09-28 10:40")
    contact = {"id": order["id"], "expectedVersion": 1, "outcome": "REACHED"}
    await world.gql("care_a", "LogContactAttempt", input=contact)
    clocks = (await clocks_of(world, order["id"]))[1]
    assert (clocks["response"]["status"], clocks["response"]["usedMinutes"]) == ("MET", 105)
    assert clocks["closure"]["usedMinutes"] == 0  # still running: its stretch is not finished


async def test_a_pause_then_a_stop_adds_both_stretches(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    await step(world, "care_a", order["id"], 1, "review")
    world.clock.now = at("2025-03-05 10:00")
    await step(world, "care_a", order["id"], 2, "suspend", "等待配件")
    world.clock.now = at("2025-03-10 14:00")
    await step(world, "care_a", order["id"], 3, "resume")
    world.clock.now = at("2025-03-11 11:30")  # Monday 14:00-18:00 and Tuesday 09:00-11:30: 390 more
    closing = {"id": order["id"], "expectedVersion": 4, "resolution": "已补送脚垫"}
    closed = await world.gql("care_a", "CloseWorkOrder", input=closing)
    assert closed["closeWorkOrder"]["__typename"] == "WorkOrderPayload"
    closure = (await clocks_of(world, order["id"]))[1]["closure"]
    assert (closure["status"], closure["usedMinutes"]) == ("MET", 540 + 390)
    assert closure["stoppedAt"] == iso("2025-03-11 11:30")


async def test_escalating_and_returning_leave_the_contact_clock_as_registered(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    before = (await clocks_of(world, order["id"]))[1]["response"]
    world.clock.now = at("2025-03-04 11:30")
    up = {"id": order["id"], "expectedVersion": 1, "reason": "客户要求区域介入"}
    moved = (await world.gql("manager_a", "EscalateWorkOrder", input=up))["escalateWorkOrder"]
    assert moved["order"]["tier"] == "RBO"
    assert moved["order"]["responseDueAt"] == iso("2025-03-04 12:00")
    world.clock.now = at("2025-03-04 11:45")
    back = {"id": order["id"], "expectedVersion": 2, "reason": "请经销商处理"}
    returned = (await world.gql("rbo_east", "ReturnWorkOrder", input=back))["returnWorkOrder"]
    assert returned["order"]["tier"] == "DLR"
    detail, clocks = await clocks_of(world, order["id"])
    assert clocks["response"] == before | {"status": "DUE_SOON"}  # started, due, warned as before
    assert [e["kind"] for e in detail["history"]] == ["registered", "escalated", "returned"]


async def test_gtmc_24_hour_contact_clock_counts_from_registration_across_a_tier_move(database):
    world = await make_world(database, "gtmc")
    world.clock.now = at("2025-03-04 10:00")
    intake = registration(world, channel="call_centre_new", category="sales")
    data = await world.gql("operator", "RegisterComplaint", input=intake)
    order = data["registerComplaint"]["order"]
    world.clock.now = at("2025-03-05 09:00")
    up = {"id": order["id"], "expectedVersion": 1, "reason": "经销商无法解决"}
    moved = (await world.gql("se", "EscalateWorkOrder", input=up))["escalateWorkOrder"]["order"]
    assert (moved["tier"], moved["responseDueAt"]) == (
        "GTMC_CR",
        iso("2025-03-05 10:00"),
    )  # 自受理起
    response = (await clocks_of(world, order["id"]))[1]["response"]
    assert (response["startedAt"], response["status"]) == (iso("2025-03-04 10:00"), "DUE_SOON")


async def test_cancelling_ends_the_open_clocks_as_cancelled_and_keeps_a_met_one_met(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    never_reached = await register(world)
    reached = await register(world, customer={"name": "李", "phones": ["13911112222"]})
    world.clock.now = at("2025-03-04 11:00")
    contact = {"id": reached["id"], "expectedVersion": 1, "outcome": "REACHED"}
    await world.gql("care_a", "LogContactAttempt", input=contact)
    world.clock.now = at("2025-03-04 13:00")  # past the unreached order's response deadline, 12:00
    await step(world, "manager_a", never_reached["id"], 1, "cancel", "重复登记")
    await step(world, "manager_a", reached["id"], 2, "cancel", "重复登记")
    world.clock.now = at("2025-03-20 10:00")
    clocks = (await clocks_of(world, never_reached["id"]))[1]
    assert {n: (c["status"], c["usedMinutes"]) for n, c in clocks.items()} == {
        "response": ("CANCELLED", 180),
        "closure": ("CANCELLED", 180),
    }
    clocks = (await clocks_of(world, reached["id"]))[1]
    assert (clocks["response"]["status"], clocks["closure"]["status"]) == ("MET", "CANCELLED")
    breached = (await world.gql("se", "Worklist", filter={"breached": True}))["workOrders"]["edges"]
    assert breached == []
