"""A page's SQL statement count does not grow with its size (DataLoaders batch every relation)."""

from __future__ import annotations

from support import make_world, register, statements_by_page_size


async def test_fifty_orders_cost_the_same_statements_as_five(database):
    world = await make_world(database)
    for n in range(50):
        order = await register(world, "operator", dealer="ab"[n % 2], customer={"name": f"客户{n}", "phones": [f"1391234{n:04d}"]})
        handler = "care_a" if n % 2 == 0 else "care_b"
        await world.gql(
            "se", "AssignWorkOrder", input={"id": order["id"], "expectedVersion": 1, "primaryHandlerId": world.user_gid(handler)}
        )
    counts = await statements_by_page_size(world, "se", "Worklist", lambda data: data["workOrders"]["edges"])
    assert counts[5] == counts[50], counts
    assert counts[50] <= 8, counts  # orders, dealers, users, customers, phones, vehicles, last events
