"""Who sees what: dealer against dealer, region against region, tenant against tenant."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from support import make_world, register, registration

from schema.ids import encode
from server.db import lookups
from server.db.models import Customer, CustomerPhone, User, WorkOrder, WorkOrderEvent
from server.db.session import TenantScopeError


def numbers(data: dict) -> set[str]:
    return {edge["node"]["number"] for edge in data["workOrders"]["edges"]}


async def orders_by_dealer(world):
    return {key: await register(world, "se", dealer=key) for key in ("a", "b", "c")}


MUTATIONS = {
    "TransitionWorkOrder": lambda oid, w: {"id": oid, "expectedVersion": 1, "transition": "review"},
    "AssignWorkOrder": lambda oid, w: {
        "id": oid,
        "expectedVersion": 1,
        "primaryHandlerId": w.user_gid("care_a"),
    },
    "LogContactAttempt": lambda oid, w: {"id": oid, "expectedVersion": 1, "outcome": "REACHED"},
    "CloseWorkOrder": lambda oid, w: {"id": oid, "expectedVersion": 1, "resolution": "x"},
}


async def test_a_dealer_manager_gets_not_found_for_another_dealers_order(database):
    world = await make_world(database)
    orders = await orders_by_dealer(world)
    other = orders["b"]["id"]
    read = await world.gql("manager_a", "OrderDetail", id=other)
    assert read["workOrder"]["__typename"] == "NotFound"
    for operation, make_input in MUTATIONS.items():
        data = await world.gql("manager_a", operation, input=make_input(other, world))
        (result,) = data.values()
        assert result["__typename"] == "NotFound", (operation, result)
    detail = await world.gql("se", "OrderDetail", id=other)
    assert detail["workOrder"]["version"] == 1 and len(detail["workOrder"]["history"]) == 1
    assert numbers(await world.gql("manager_a", "Worklist", first=50)) == {orders["a"]["number"]}


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("rbo_east", {"a", "b"}),
        ("se", {"a", "b", "c"}),
        ("operator", {"a", "b", "c"}),
        ("care_c", {"c"}),
        ("admin", set()),
    ],
)
async def test_scope_follows_where_the_role_is_granted(database, username, visible):
    world = await make_world(database)
    orders = await orders_by_dealer(world)
    assert numbers(await world.gql(username, "Worklist", first=50)) == {
        orders[k]["number"] for k in visible
    }
    for key, order in orders.items():
        found = (await world.gql(username, "OrderDetail", id=order["id"]))["workOrder"][
            "__typename"
        ]
        assert found == ("WorkOrder" if key in visible else "NotFound")


async def test_no_user_of_one_tenant_sees_anything_of_another(database):
    x, y = await make_world(database), await make_world(database)
    theirs = await orders_by_dealer(y)
    mine = await orders_by_dealer(x)
    for order in theirs.values():
        assert (await x.gql("se", "OrderDetail", id=order["id"]))["workOrder"][
            "__typename"
        ] == "NotFound"
        for operation, make_input in MUTATIONS.items():
            (result,) = (await x.gql("se", operation, input=make_input(order["id"], x))).values()
            assert result["__typename"] == "NotFound"
    # Filters naming the other tenant's dealers, or its users as assignee, find nothing.
    for key in ("a", "b", "c"):
        assert (
            numbers(await x.gql("se", "Worklist", filter={"orgUnitId": y.dealer_gid(key)})) == set()
        )
    assert (
        numbers(await x.gql("se", "Worklist", filter={"assigneeId": y.user_gid("care_a")})) == set()
    )
    assert numbers(await x.gql("se", "Worklist", first=100)) == {o["number"] for o in mine.values()}
    # Registering for the other tenant's dealer is refused as an unknown dealer.
    result = (
        await x.gql("se", "RegisterComplaint", input=registration(x, dealerId=y.dealer_gid("a")))
    )["registerComplaint"]
    assert result["__typename"] == "ValidationError"
    refusal = {"path": ["dealerId"], "message": "no dealer with this id is visible to you"}
    assert result["fields"] == [refusal]
    # An id that is not a work order's at all answers the same NotFound.
    bogus = encode("WorkOrder", 10**9)
    assert (await x.gql("se", "OrderDetail", id=bogus))["workOrder"]["__typename"] == "NotFound"
    assert (await x.gql("se", "OrderDetail", id="not-an-id"))["workOrder"][
        "__typename"
    ] == "NotFound"


async def test_a_batch_look_up_names_its_tenant_itself(database):
    """The loaders' Core look-ups are not reached by the ORM's tenant filter; each carries its own
    condition (on SQLite, where no row-level security backs it, that condition is all there is)."""
    x, y = await make_world(database), await make_world(database)
    await register(x)
    await register(y)
    async with database.reader(y.tenant_id) as session:
        theirs = (await session.execute(select(WorkOrder.id, WorkOrder.customer_id))).one()
        assert [r.id for r in await lookups.rows(session, Customer.id, [theirs.customer_id])] == [
            theirs.customer_id
        ]
    async with database.reader(x.tenant_id) as session:
        assert await lookups.rows(session, Customer.id, [theirs.customer_id]) == []
        assert await lookups.rows(session, CustomerPhone.customer_id, [theirs.customer_id]) == []
        assert await lookups.newest(session, WorkOrderEvent.work_order_id, [theirs.id]) == []
        assert await lookups.rows(session, User.id, list(y.users.values())) == []
    async with database.platform() as session:
        with pytest.raises(TenantScopeError):
            await lookups.rows(session, Customer.id, [theirs.customer_id])
