"""WorkOrder.permittedSteps and .permittedActions: a screen offers only what the caller may do,
by the same permissions the use cases check (server/services/order_actions.py)."""

from __future__ import annotations

from support import make_world, register

# Who sees what on an unprocessed order of dealer a (policies/policy.csv, the skoda profile; a
# care specialist holds the operator's permissions, a manager the care specialist's).
EXPECTED = {
    "operator": ([], ["call"]),
    "care_a": (["review"], ["contact", "call"]),
    "manager_a": (["review", "cancel"], ["contact", "assign", "escalate", "regrade", "call"]),
}


async def detail(world, username: str, order_id: str) -> dict:
    return (await world.gql(username, "OrderDetail", id=order_id))["workOrder"]


async def test_each_caller_is_offered_only_the_steps_and_actions_it_may_take(database):
    world = await make_world(database)
    order = await register(world)
    offered = {}
    for username in EXPECTED:
        seen = await detail(world, username, order["id"])
        offered[username] = ([s["name"] for s in seen["permittedSteps"]], seen["permittedActions"])
    assert offered == EXPECTED
    care = await detail(world, "care_a", order["id"])
    assert care["availableTransitions"] == ["review", "cancel"]
    assert care["permittedSteps"] == [
        {
            "name": "review",
            "label": {"zh": "受理", "en": "Take up"},
            "requiresComment": False,
            "recordsResolution": False,
        }
    ]


async def test_what_is_withheld_is_refused_on_use_and_what_is_offered_runs(database):
    world = await make_world(database)
    order = await register(world)
    refused = await world.gql(
        "care_a",
        "TransitionWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": order["version"],
            "transition": "cancel",
            "comment": "登记错误",
        },
    )
    assert refused["transitionWorkOrder"]["__typename"] == "NotPermitted"
    assert (await detail(world, "care_a", order["id"]))["state"] == "unprocessed"
    taken = await world.gql(
        "care_a",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": order["version"], "transition": "review"},
    )
    assert taken["transitionWorkOrder"]["__typename"] == "WorkOrderPayload"
    steps = [s["name"] for s in (await detail(world, "care_a", order["id"]))["permittedSteps"]]
    assert steps == ["resolve", "suspend"]
