"""Bad input gets a typed error naming the field, and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from support import make_world, register, registration

from server.db.models import Customer, CustomerPhone, Vehicle, WorkOrder, WorkOrderEvent


async def row_counts(world) -> tuple[int, ...]:
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        models = (WorkOrder, WorkOrderEvent, Customer, CustomerPhone, Vehicle)
        counts = tuple([await session.scalar(select(func.count()).select_from(m)) for m in models])
    await db.close()
    return counts


CASES = {
    "bad VIN check digit": (
        {"vehicle": {"vin": "LSVJETH8271PG8B14"}},
        ["vehicle", "vin"],
        "check digit",
    ),
    "short VIN": ({"vehicle": {"vin": "LSV123"}}, ["vehicle", "vin"], "17 characters"),
    "bad phone": (
        {"customer": {"name": "王", "phones": ["12345"]}},
        ["customer", "phones[0]"],
        "not a valid phone",
    ),
    "no phone": (
        {"customer": {"name": "王", "phones": []}},
        ["customer", "phones"],
        "at least one",
    ),
    "unknown category": ({"category": "A9x"}, ["category"], "unknown category 'A9x'"),
    "unknown grade": ({"grade": "Z"}, ["grade"], "unknown grade 'Z'"),
    "unknown channel": ({"channel": "pigeon"}, ["channel"], "unknown channel 'pigeon'"),
    "unknown flag": ({"flags": ["bogus"]}, ["flags[0]"], "unknown flag 'bogus'"),
    "empty summary": ({"summary": "   "}, ["summary"], "must not be empty"),
    "details too long": ({"details": "长" * 10_001}, ["details"], "the limit is 10000"),
    "control character": ({"details": "客户\x07来电"}, ["details"], "control character U+0007"),
    "future received-at": (
        {"receivedAt": (datetime.now(UTC) + timedelta(hours=2)).isoformat()},
        ["receivedAt"],
        "future",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_registration_refuses_bad_input_and_writes_nothing(database, case):
    world = await make_world(database)
    overrides, path, words = CASES[case]
    before = await row_counts(world)
    data = await world.gql("operator", "RegisterComplaint", input=registration(world, **overrides))
    result = data["registerComplaint"]
    assert result["__typename"] == "ValidationError"
    field = next(f for f in result["fields"] if f["path"] == path)
    assert words in field["message"]
    assert await row_counts(world) == before


async def test_every_problem_is_reported_at_once(database):
    world = await make_world(database)
    data = await world.gql(
        "operator",
        "RegisterComplaint",
        input=registration(world, summary="", category="nope", channel="x"),
    )
    paths = [f["path"] for f in data["registerComplaint"]["fields"]]
    assert ["summary"] in paths and ["category"] in paths and ["channel"] in paths


async def test_back_dating_beyond_the_profile_limit_needs_the_permission(database):
    world = await make_world(database)
    long_ago = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    before = await row_counts(world)
    refused = (
        await world.gql(
            "operator", "RegisterComplaint", input=registration(world, receivedAt=long_ago)
        )
    )["registerComplaint"]
    assert refused == {
        "__typename": "NotPermitted",
        "message": refused["message"],
        "permission": "workorder.backdate",
    }
    assert await row_counts(world) == before
    allowed = await register(world, "se", receivedAt=long_ago)
    assert allowed["receivedAt"].startswith(long_ago[:16])


async def test_assigning_a_handler_outside_the_orders_scope_is_refused(database):
    world = await make_world(database)
    order = await register(world)
    data = await world.gql(
        "manager_a",
        "AssignWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": 1,
            "primaryHandlerId": world.user_gid("care_b"),
        },
    )
    result = data["assignWorkOrder"]
    assert result["__typename"] == "ValidationError"
    assert result["fields"][0]["path"] == ["primaryHandlerId"]
    assert "outside their scope" in result["fields"][0]["message"]
    detail = (await world.gql("se", "OrderDetail", id=order["id"]))["workOrder"]
    assert (
        detail["primaryHandler"] is None and detail["version"] == 1 and len(detail["history"]) == 1
    )


async def test_assigning_someone_at_the_dealer_without_the_handle_permission_names_it(database):
    """The call centre's operator holds a role over every dealer, but not workorder.handle."""
    world = await make_world(database)
    order = await register(world)
    before = await row_counts(world)
    operator = world.user_gid("operator")
    assignment = {"id": order["id"], "expectedVersion": 1, "primaryHandlerId": operator}
    result = (await world.gql("manager_a", "AssignWorkOrder", input=assignment))["assignWorkOrder"]
    assert result["__typename"] == "ValidationError"
    (refused,) = result["fields"]
    assert refused["path"] == ["primaryHandlerId"]
    assert "lacks the permission 'workorder.handle'" in refused["message"]
    assert "operator" in refused["message"] and "outside their scope" not in refused["message"]
    assert await row_counts(world) == before


async def test_a_transition_from_the_wrong_state_is_refused(database):
    world = await make_world(database)
    order = await register(world)
    data = await world.gql(
        "se",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "confirm"},
    )
    result = data["transitionWorkOrder"]
    assert result["__typename"] == "TransitionNotAllowed"
    assert result["state"] == "unprocessed" and "review" in result["allowed"]
    closing = await world.gql(
        "se",
        "CloseWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "resolution": "done"},
    )
    assert closing["closeWorkOrder"]["__typename"] == "TransitionNotAllowed"
    detail = (await world.gql("se", "OrderDetail", id=order["id"]))["workOrder"]
    assert detail["state"] == "unprocessed" and detail["version"] == 1


async def test_a_step_the_caller_lacks_permission_for_is_not_permitted(database):
    world = await make_world(database)
    order = await register(world)
    data = await world.gql(
        "operator",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "review"},
    )
    assert data["transitionWorkOrder"]["__typename"] == "NotPermitted"
    assert data["transitionWorkOrder"]["permission"] == "workorder.review"


async def test_a_step_that_needs_a_reason_refuses_without_one(database):
    world = await make_world(database)
    order = await register(world)
    data = await world.gql(
        "manager_a",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "cancel"},
    )
    assert data["transitionWorkOrder"]["__typename"] == "ValidationError"
    assert [f["path"] for f in data["transitionWorkOrder"]["fields"]] == [["comment"]]
