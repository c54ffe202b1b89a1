"""The path from intake to closure, through the contract's operations, with its history."""

from __future__ import annotations

from support import make_world, register


async def test_operator_registers_and_the_dealer_handles_to_closure(database):
    world = await make_world(database)
    order = await register(world)
    assert order["state"] == "unprocessed"
    assert order["number"].startswith("SKD-")
    assert order["grade"] == "A" and order["tier"] == "DLR"
    order_id = order["id"]

    reviewed = await world.gql(
        "care_a",
        "TransitionWorkOrder",
        input={"id": order_id, "expectedVersion": 1, "transition": "review"},
    )
    assert reviewed["transitionWorkOrder"]["order"]["state"] == "in_progress"
    version = reviewed["transitionWorkOrder"]["order"]["version"]

    assigned = await world.gql(
        "manager_a",
        "AssignWorkOrder",
        input={
            "id": order_id,
            "expectedVersion": version,
            "primaryHandlerId": world.user_gid("care_a"),
            "secondaryHandlerId": world.user_gid("manager_a"),
        },
    )
    assert assigned["assignWorkOrder"]["__typename"] == "WorkOrderPayload", assigned
    version = assigned["assignWorkOrder"]["order"]["version"]

    contact = await world.gql(
        "care_a",
        "LogContactAttempt",
        input={
            "id": order_id,
            "expectedVersion": version,
            "outcome": "REACHED",
            "note": "已致电安抚",
        },
    )
    assert contact["logContactAttempt"]["__typename"] == "ContactAttemptPayload", contact
    assert contact["logContactAttempt"]["order"]["respondedAt"] is not None
    version = contact["logContactAttempt"]["order"]["version"]

    closed = await world.gql(
        "care_a",
        "CloseWorkOrder",
        input={
            "id": order_id,
            "expectedVersion": version,
            "resolution": "补发脚垫，客户满意",
            "rootCause": "承诺未登记",
        },
    )
    assert closed["closeWorkOrder"]["order"]["state"] == "handled", closed
    assert closed["closeWorkOrder"]["order"]["handledAt"] is not None

    detail = (await world.gql("manager_a", "OrderDetail", id=order_id))["workOrder"]
    steps = [
        (e["kind"], e["transition"], e["toState"], e["actor"]["username"])
        for e in detail["history"]
    ]
    assert steps == [
        ("registered", None, "unprocessed", "operator"),
        ("transition", "review", "in_progress", "care_a"),
        ("assigned", None, None, "manager_a"),
        ("contact", None, None, "care_a"),
        ("transition", "resolve", "handled", "care_a"),
    ]
    assert [a["outcome"] for a in detail["contactAttempts"]] == ["REACHED"]
    assert detail["resolution"] == "补发脚垫，客户满意"
    assert detail["primaryHandler"]["id"] == world.user_gid("care_a")


async def test_numbers_are_unique_and_sequential_per_tenant_and_day(database):
    world = await make_world(database)
    first = await register(world)
    second = await register(world)
    assert first["number"][:-5] == second["number"][:-5]
    assert int(second["number"][-5:]) == int(first["number"][-5:]) + 1
    other = await make_world(database)
    assert (await register(other))["number"].endswith("-00001")


async def test_a_known_phone_finds_the_customer_instead_of_creating_one(database):
    world = await make_world(database)
    first = await register(world)
    again = await register(world, customer={"name": "王", "phones": ["+86 138 1234 5678"]})
    assert again["customer"]["id"] == first["customer"]["id"]
    assert again["customer"]["phones"] == ["+8613812345678"]
