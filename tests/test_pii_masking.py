"""Customer phones and address by role: the dealer's people and the call centre see them, the
region and the brand see them masked unless named to handle the order, and each of their unmasked
reads lands in the access log that the tenant admin reads (and nobody else)."""

from __future__ import annotations

from sqlalchemy import func, select
from support import make_world, register

from server.db.models import CustomerAccess

MASKED = {"phones": ["+86138****5678"], "address": None, "postcode": None}
SHOWN = {"phones": ["+8613812345678"], "address": "上海市浦东新区1号", "postcode": "200120"}


async def customer_as(world, username: str, order_id: str) -> dict:
    order = (await world.gql(username, "OrderDetail", id=order_id))["workOrder"]
    customer = order["customer"]
    return {k: customer[k] for k in ("phones", "address", "postcode")}


async def access_log(world, username: str = "admin") -> dict:
    return (await world.gql(username, "CustomerAccessLog"))["customerAccessLog"]


async def logged_rows(world) -> int:
    async with world.database.reader(world.tenant_id) as session:
        return await session.scalar(select(func.count()).select_from(CustomerAccess))


async def registered(world) -> dict:
    customer = {
        "name": "王先生",
        "phones": ["13812345678"],
        "address": "上海市浦东新区1号",
        "postcode": "200120",
    }
    return await register(world, customer=customer)


async def test_who_sees_the_customer_unmasked(database):
    world = await make_world(database)
    order = await registered(world)
    for username in ("operator", "care_a", "manager_a", "gm_a"):
        assert await customer_as(world, username, order["id"]) == SHOWN, username
    for username in ("rbo_east", "se"):
        assert await customer_as(world, username, order["id"]) == MASKED, username
    assert await logged_rows(world) == 0  # masked reads and the dealer's own are not logged


async def test_a_regional_handler_sees_it_and_every_read_is_logged(database):
    world = await make_world(database)
    order = await registered(world)
    reviewed = await world.gql(
        "care_a",
        "TransitionWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "transition": "review"},
    )
    version = reviewed["transitionWorkOrder"]["order"]["version"]
    assigned = await world.gql(
        "rbo_east",
        "AssignWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": version,
            "primaryHandlerId": world.user_gid("rbo_east"),
        },
    )
    assert assigned["assignWorkOrder"]["__typename"] == "WorkOrderPayload", assigned
    assert await logged_rows(world) == 0  # the payload selects no customer
    assert await customer_as(world, "rbo_east", order["id"]) == SHOWN
    assert await customer_as(world, "rbo_east", order["id"]) == SHOWN
    assert await customer_as(world, "se", order["id"]) == MASKED  # not its handler
    log = await access_log(world)
    assert log["__typename"] == "CustomerAccessLog"
    assert [(e["userId"], e["workOrderId"]) for e in log["entries"]] == [
        (world.user_gid("rbo_east"), order["id"])
    ] * 2
    assert (
        log["entries"][0]["customerId"]
        == (
            (await world.gql("care_a", "OrderDetail", id=order["id"]))["workOrder"]["customer"][
                "id"
            ]
        )
    )
    assert "138" not in str(log)  # ids, never the numbers shown


async def test_only_the_tenant_admin_reads_the_log_and_only_its_tenant(database):
    world, other = await make_world(database), await make_world(database)
    await registered(world)
    for username in ("rbo_east", "se", "manager_a", "operator"):
        refused = await access_log(world, username)
        assert (refused["__typename"], refused["permission"]) == (
            "NotPermitted",
            "customer.access.read",
        ), username
    await world.gql("se", "CustomerLookup", phone="13812345678")  # se registers, lookup masked
    assert (await access_log(other))["entries"] == []
    bad = (await world.gql("admin", "CustomerAccessLog", first=0))["customerAccessLog"]
    assert bad["__typename"] == "ValidationError" and bad["fields"][0]["path"] == ["first"]
