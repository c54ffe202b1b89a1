"""Escalation: calls and warning slips, repeat complaints up the routing table, tier moves, and the
cross-dealer escalations list. Instants are written by hand from the 2025 calendar."""

from __future__ import annotations

import asyncio
import base64
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from support import make_world, register

from schema.ids import decode
from server.db.models import OutboxMessage, WarningSlip
from server.services import calls, deadlines
from server.services.changes import changing

SH = ZoneInfo("Asia/Shanghai")
PHONE = {"name": "王先生", "phones": ["13812345678"]}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def iso(text: str) -> str:
    return at(text).astimezone(ZoneInfo("UTC")).isoformat()


async def detail(world, order_id, username="se"):
    return (await world.gql(username, "OrderDetail", id=order_id))["workOrder"]


async def handle(world, username: str, order: dict, when: str) -> None:
    """Review, reach the customer and close, all at `when`."""
    world.clock.now = at(when)
    version = (await detail(world, order["id"]))["version"]
    steps = [
        ("TransitionWorkOrder", {"transition": "review"}),
        ("LogContactAttempt", {"outcome": "REACHED"}),
        ("CloseWorkOrder", {"resolution": "已处理，客户接受方案"}),
    ]
    for operation, fields in steps:
        result = next(
            iter(
                (
                    await world.gql(
                        username,
                        operation,
                        input={"id": order["id"], "expectedVersion": version, **fields},
                    )
                ).values()
            )
        )
        assert result["order"]["version"] == version + 1, result
        version += 1


async def call(world, order_id: str, words: str, **extra) -> dict:
    data = await world.gql(
        "operator",
        "RecordCustomerCall",
        input={"id": order_id, "channel": "hotline_400", "words": words, **extra},
    )
    return data["recordCustomerCall"]


async def test_skoda_a4a_end_to_end_calls_slip_and_repeats_up_the_routing_table(database):
    world = await make_world(database)
    world.clock.now = at("2025-09-30 10:00")
    first = await register(world, customer=PHONE)
    assert first["tier"] == "DLR"
    d = await detail(world, first["id"])
    assert (d["responseDueAt"], d["closureDueAt"]) == (
        iso("2025-09-30 12:00"),
        iso("2025-10-11 10:00"),
    )

    # Two calls while unprocessed: one slip to the RBO (W1), however many calls follow.
    world.clock.now = at("2025-09-30 10:30")
    assert (await call(world, first["id"], "还没人联系我"))["order"]["warningSlips"] == []
    world.clock.now = at("2025-09-30 10:45")
    slips = (await call(world, first["id"], "我又打来了"))["order"]["warningSlips"]
    assert [(s["trigger"], s["toTier"], s["state"]) for s in slips] == [("W1", "RBO", "ISSUED")]
    world.clock.now = at("2025-09-30 10:50")
    assert len((await call(world, first["id"], "第三次来电"))["order"]["warningSlips"]) == 1
    ack = await world.gql("rbo_east", "AcknowledgeSlip", id=slips[0]["id"])
    assert ack["acknowledgeSlip"]["slip"]["state"] == "ACKNOWLEDGED"

    await handle(world, "care_a", first, "2025-10-09 15:00")

    # Day 6 after handled: the second complaint is an escalation order for the RBO.
    world.clock.now = at("2025-10-15 11:00")
    second = await register(world, customer=PHONE)
    d2 = await detail(world, second["id"])
    assert (second["tier"], d2["repeatNumber"], d2["repeatOf"]["id"]) == ("RBO", 2, first["id"])
    assert (d2["responseDueAt"], d2["closureDueAt"]) == (
        iso("2025-10-15 13:00"),
        iso("2025-10-20 11:00"),
    )
    assert (await detail(world, first["id"]))["repeated"] is True

    await handle(world, "rbo_east", second, "2025-10-16 10:00")

    # Again after that was handled: the third handler, the sales SE.
    world.clock.now = at("2025-10-20 09:30")
    third = await register(world, customer=PHONE)
    d3 = await detail(world, third["id"])
    assert (third["tier"], d3["repeatNumber"]) == ("SALES_SE", 3)
    assert (d3["responseDueAt"], d3["closureDueAt"]) == (
        iso("2025-10-20 11:30"),
        iso("2025-10-23 09:30"),
    )

    # A fourth stays with the SE and raises an upgrade-warning slip.
    await handle(world, "se", third, "2025-10-21 10:00")
    world.clock.now = at("2025-10-22 10:00")
    fourth = await register(world, customer=PHONE)
    d4 = await detail(world, fourth["id"])
    assert (fourth["tier"], d4["repeatNumber"]) == ("SALES_SE", 4)
    assert [s["trigger"] for s in d4["warningSlips"]] == ["REPEAT"]


async def test_a_complaint_after_the_window_is_a_new_first_complaint(database):
    world = await make_world(database)
    world.clock.now = at("2025-09-01 10:00")
    first = await register(world, customer=PHONE)
    await handle(world, "care_a", first, "2025-09-02 10:00")
    world.clock.now = at("2025-09-09 10:01")  # 7 natural days and a minute after handled
    again = await register(world, customer=PHONE)
    assert again["tier"] == "DLR" and (await detail(world, again["id"]))["repeatOf"] is None


async def test_a_slip_trigger_delivered_three_times_produces_one_slip(database):
    world = await make_world(database)
    world.clock.now = at("2025-09-30 10:00")
    order = await register(world, customer=PHONE)
    order_id = decode("WorkOrder", order["id"])
    results = await asyncio.gather(
        *(call(world, order["id"], "媒体记者", flags=["claims_media"]) for _ in range(3))
    )
    assert all(r["__typename"] == "CustomerCallPayload" for r in results)
    caller = await world.caller("operator")
    for _ in range(3):  # the evaluation itself, re-run as a retried message would
        async with changing(caller, order_id, None) as change:
            await calls.evaluate(change.session, caller.tenant, change.order, None, change.now)
    await caller.db.close()
    db = database.tenant(world.tenant_id)
    async with db.read() as session:
        found = (
            await session.execute(
                select(WarningSlip.trigger, func.count()).group_by(WarningSlip.trigger)
            )
        ).all()
    await db.close()
    assert dict(found) == {
        "W1": 1,
        "W5": 1,
    }  # three unprocessed calls also meet W1: still one slip each


async def test_assigning_the_involved_service_advisor_is_refused_and_nothing_changes(database):
    world = await make_world(database)
    order = await register(world, involvedStaffIds=[world.user_gid("care_a")])
    before = await detail(world, order["id"])
    data = await world.gql(
        "manager_a",
        "AssignWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": 1,
            "primaryHandlerId": world.user_gid("care_a"),
        },
    )
    result = data["assignWorkOrder"]
    assert result["__typename"] == "ValidationError"
    assert (
        result["fields"][0]["path"] == ["primaryHandlerId"]
        and "involved" in result["fields"][0]["message"]
    )
    assert await detail(world, order["id"]) == before


async def test_escalation_moves_tier_keeps_the_response_clock_and_can_be_handed_back(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    await world.gql(
        "manager_a",
        "AssignWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": 1,
            "primaryHandlerId": world.user_gid("care_a"),
        },
    )
    world.clock.now = at("2025-03-04 16:30")
    up = await world.gql(
        "manager_a",
        "EscalateWorkOrder",
        input={"id": order["id"], "expectedVersion": 2, "reason": "客户要求区域介入"},
    )
    moved = up["escalateWorkOrder"]["order"]
    assert (moved["tier"], moved["primaryHandler"]) == ("RBO", None)
    assert moved["responseDueAt"] == iso("2025-03-04 12:00")  # from registration, not restarted
    refused = await world.gql(
        "manager_a",
        "ReturnWorkOrder",
        input={"id": order["id"], "expectedVersion": 3, "reason": "请经销商处理"},
    )
    assert refused["returnWorkOrder"] == {
        "__typename": "NotPermitted",
        "message": refused["returnWorkOrder"]["message"],
        "permission": "workorder.return",
    }
    back = await world.gql(
        "rbo_east",
        "ReturnWorkOrder",
        input={"id": order["id"], "expectedVersion": 3, "reason": "请经销商按方案处理"},
    )
    assert back["returnWorkOrder"]["order"]["tier"] == "DLR"
    kinds = [(e["kind"], e["comment"]) for e in (await detail(world, order["id"]))["history"]][-2:]
    assert kinds == [("escalated", "客户要求区域介入"), ("returned", "请经销商按方案处理")]


async def test_the_escalations_list_follows_scope_and_filters(database):
    world = await make_world(database)
    world.clock.now = at("2025-09-30 10:00")
    orders = {
        key: await register(world, dealer=key, customer={"name": key, "phones": [f"1391111000{i}"]})
        for i, key in enumerate("abc")
    }
    for order in orders.values():
        await call(world, order["id"], "记者", flags=["claims_media"])
    await register(
        world, dealer="a", customer={"name": "quiet", "phones": ["13922220000"]}
    )  # not escalated

    def numbers(data):
        return sorted(n["order"]["number"] for n in data["escalations"]["nodes"])

    assert numbers(await world.gql("se", "Escalations")) == sorted(
        o["number"] for o in orders.values()
    )
    assert numbers(await world.gql("rbo_east", "Escalations")) == sorted(
        orders[k]["number"] for k in "ab"
    )
    assert numbers(await world.gql("manager_a", "Escalations")) == [orders["a"]["number"]]
    west = await world.gql("se", "Escalations", filter={"orgUnitId": world.dealer_gid("c")})
    assert numbers(west) == [orders["c"]["number"]]
    issued = await world.gql(
        "se", "Escalations", filter={"slipStates": ["ISSUED"], "tiers": ["DLR"]}
    )
    assert len(issued["escalations"]["nodes"]) == 3
    page = await world.gql("se", "Escalations", first=2)
    rest = await world.gql(
        "se", "Escalations", first=2, after=page["escalations"]["pageInfo"]["endCursor"]
    )
    assert len(page["escalations"]["nodes"]) == 2 and len(rest["escalations"]["nodes"]) == 1


async def test_the_escalations_list_by_breach_puts_the_nearest_deadline_first_across_pages(
    database,
):
    world = await make_world(database)
    orders = {}
    for i, (key, time) in enumerate(
        (("a", "10:00"), ("b", "09:00"), ("c", "09:30"))
    ):  # deadlines not in id order
        world.clock.now = at(f"2025-09-30 {time}")
        orders[key] = await register(
            world, dealer=key, customer={"name": key, "phones": [f"1391111000{i}"]}
        )
    world.clock.now = at("2025-09-30 10:30")
    for order in orders.values():
        await call(world, order["id"], "记者", flags=["claims_media"])
    page = await world.gql("se", "Escalations", sort="BREACH", first=2)
    rest = await world.gql(
        "se",
        "Escalations",
        sort="BREACH",
        first=2,
        after=page["escalations"]["pageInfo"]["endCursor"],
    )
    numbers = [
        n["order"]["number"] for answer in (page, rest) for n in answer["escalations"]["nodes"]
    ]
    assert numbers == [orders[k]["number"] for k in "bca"]
    # b's response deadline (11:00) has passed and the scan has recorded it: b stays first, the
    # longest overdue, and does not drop behind the orders whose deadlines are still ahead.
    await deadlines.scan(database, at("2025-09-30 11:10"))
    world.clock.now = at("2025-09-30 11:10")
    assert (await detail(world, orders["b"]["id"]))["clocks"][0]["status"] == "BREACHED"
    page = await world.gql("se", "Escalations", sort="BREACH", first=3)
    assert [n["order"]["number"] for n in page["escalations"]["nodes"]] == [
        orders[k]["number"] for k in "bca"
    ]


async def test_paging_by_breach_walks_every_order_once_past_those_without_a_deadline(database):
    world = await make_world(database)
    orders = {}
    for i, (key, time) in enumerate((("a", "10:00"), ("b", "09:00"), ("c", "09:30"))):
        world.clock.now = at(f"2025-09-30 {time}")
        orders[key] = await register(
            world, dealer=key, customer={"name": key, "phones": [f"1391111000{i}"]}
        )
    world.clock.now = at("2025-09-30 10:30")
    for order in orders.values():
        await call(world, order["id"], "记者", flags=["claims_media"])
    await handle(
        world, "manager_c", orders["c"], "2025-09-30 10:40"
    )  # closed: no deadline left, so last
    walked, after = [], None
    while True:
        page = (await world.gql("se", "Escalations", sort="BREACH", first=1, after=after))[
            "escalations"
        ]
        walked += [n["order"]["number"] for n in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert walked == [orders[k]["number"] for k in "bac"]
    # A position is kept by value, not by count: when b, the first page, is closed and its
    # deadline goes (it moves behind a), the next page is a; counting from the start would show b
    # again and never a.
    first = (await world.gql("se", "Escalations", sort="BREACH", first=1))["escalations"]
    assert [n["order"]["number"] for n in first["nodes"]] == [orders["b"]["number"]]
    await handle(world, "manager_b", orders["b"], "2025-09-30 10:50")
    rest = (
        await world.gql(
            "se", "Escalations", sort="BREACH", first=1, after=first["pageInfo"]["endCursor"]
        )
    )["escalations"]
    assert [n["order"]["number"] for n in rest["nodes"]] == [orders["a"]["number"]]


@pytest.mark.parametrize("query", ["Escalations", "Worklist"])
async def test_a_cursor_that_is_not_of_the_list_is_refused_naming_after(database, query):
    world = await make_world(database)
    await register(world, dealer="a")
    field = "escalations" if query == "Escalations" else "workOrders"
    other = {"Escalations": {"sort": "BREACH"}, "Worklist": {}}[query]
    age_cursor = base64.urlsafe_b64encode(b"age|1").decode()  # a real cursor, of the AGE order
    for after in ("not-a-cursor", base64.urlsafe_b64encode(b"order|x").decode(), age_cursor):
        result = (await world.gql("se", query, after=after, **other))[field]
        assert result["__typename"] == "ValidationError", (after, result)
        assert (
            result["fields"][0]["path"] == ["after"]
            and "endCursor" in result["fields"][0]["message"]
        )


async def test_marking_the_primary_absent_tells_the_secondary_to_take_over(database):
    world = await make_world(database)
    order = await register(world)
    await world.gql(
        "manager_a",
        "AssignWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": 1,
            "primaryHandlerId": world.user_gid("care_a"),
            "secondaryHandlerId": world.user_gid("gm_a"),
        },
    )
    other_dealer = await world.gql(
        "manager_b", "SetAbsence", userId=world.user_gid("care_a"), absent=True
    )
    assert other_dealer["setAbsence"]["__typename"] == "NotFound"
    call_centre = await world.gql(
        "operator", "SetAbsence", userId=world.user_gid("care_a"), absent=True
    )
    assert call_centre["setAbsence"]["__typename"] == "NotPermitted"
    marked = await world.gql(
        "manager_a", "SetAbsence", userId=world.user_gid("care_a"), absent=True
    )
    assert marked["setAbsence"]["absent"] is True
    db = database.tenant(world.tenant_id)
    async with db.read() as session:
        sent = (
            await session.scalars(
                select(OutboxMessage.recipient_id).where(OutboxMessage.topic == "workorder.deputy")
            )
        ).all()
    await db.close()
    assert sent == [world.users["gm_a"]]
