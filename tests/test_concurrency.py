"""Two managers acting at once never lose an update: one wins, the other gets Conflict."""

from __future__ import annotations

import asyncio

from support import make_world, register, registration
from test_bad_input import row_counts


async def test_concurrent_transitions_with_the_same_version_one_wins(database):
    world = await make_world(database)
    order = await register(world)
    move = {"id": order["id"], "expectedVersion": 1, "transition": "review"}
    cancel = {
        "id": order["id"],
        "expectedVersion": 1,
        "transition": "cancel",
        "comment": "重复登记",
    }
    results = await asyncio.gather(
        world.gql("manager_a", "TransitionWorkOrder", input=move),
        world.gql("gm_a", "TransitionWorkOrder", input=cancel),
    )
    kinds = sorted(r["transitionWorkOrder"]["__typename"] for r in results)
    assert kinds == ["Conflict", "WorkOrderPayload"]
    detail = (await world.gql("se", "OrderDetail", id=order["id"]))["workOrder"]
    assert [e["kind"] for e in detail["history"]] == ["registered", "transition"]
    assert detail["version"] == 2
    winner = next(
        r for r in results if r["transitionWorkOrder"]["__typename"] == "WorkOrderPayload"
    )
    assert detail["state"] == winner["transitionWorkOrder"]["order"]["state"]


async def test_a_stale_version_is_refused_and_changes_nothing(database):
    world = await make_world(database)
    order = await register(world)
    await world.gql(
        "care_a",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "review"},
    )
    stale = await world.gql(
        "manager_a",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "cancel", "comment": "x"},
    )
    result = stale["transitionWorkOrder"]
    assert result["__typename"] == "Conflict"
    assert (result["expectedVersion"], result["currentVersion"]) == (1, 2)
    detail = (await world.gql("se", "OrderDetail", id=order["id"]))["workOrder"]
    assert detail["state"] == "in_progress" and len(detail["history"]) == 2


async def test_two_registrations_with_the_same_new_phone_at_once_share_one_customer(database):
    world = await make_world(database)
    before = await row_counts(world)
    phone = {"name": "王先生", "phones": ["13912345678"]}
    results = await asyncio.gather(
        world.gql("operator", "RegisterComplaint", input=registration(world, customer=phone)),
        world.gql("operator", "RegisterComplaint", input=registration(world, "b", customer=phone)),
    )
    orders = [r["registerComplaint"] for r in results]
    assert [o["__typename"] for o in orders] == ["WorkOrderPayload", "WorkOrderPayload"], orders
    assert orders[0]["order"]["customer"]["id"] == orders[1]["order"]["customer"]["id"]
    after = await row_counts(world)
    orders_, _events, customers, phones, vehicles = (
        a - b for a, b in zip(after, before, strict=True)
    )
    assert (orders_, customers, phones, vehicles) == (2, 1, 1, 1)
