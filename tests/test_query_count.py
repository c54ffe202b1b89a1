"""A page's SQL statement count does not grow with its size (DataLoaders batch every relation)."""

from __future__ import annotations

from support import counting, make_world, register, statements_by_page_size

from schema.app import schema
from schema.context import Context, Loader


async def test_fifty_orders_cost_the_same_statements_as_five(database):
    world = await make_world(database)
    for n in range(50):
        order = await register(
            world,
            "operator",
            dealer="ab"[n % 2],
            customer={"name": f"客户{n}", "phones": [f"1391234{n:04d}"]},
        )
        handler = "care_a" if n % 2 == 0 else "care_b"
        await world.gql(
            "se",
            "AssignWorkOrder",
            input={
                "id": order["id"],
                "expectedVersion": 1,
                "primaryHandlerId": world.user_gid(handler),
            },
        )
    counts = await statements_by_page_size(
        world, "se", "Worklist", lambda data: data["workOrders"]["edges"]
    )
    assert counts[5] == counts[50], counts
    assert counts[50] <= 7, (
        counts
    )  # orders, users, customers, phones, vehicles, last events, clocks


async def _statements(world, query: str) -> int:
    caller = await world.caller("se")
    try:
        with counting(world.database) as statements:
            result = await schema.execute(query, context_value=Context(caller, "t"))
    finally:
        await caller.db.close()
    assert result.errors is None, result.errors
    return len(statements)


async def test_a_page_loads_only_the_relations_it_selects(database):
    world = await make_world(database)
    for _ in range(3):
        await register(world)
    page = (
        "{ workOrders(first: 10) { ... on WorkOrderConnection { edges { node { number %s } } } } }"
    )
    assert await _statements(world, page % "") == 1
    assert (
        await _statements(world, page % "dealer { name }") == 1
    )  # the org tree is in the tenant's runtime
    assert await _statements(world, page % "dealer { name } customer { name phones }") == 3
    # A handler and the actor of the newest event are users: one statement for both.
    assert (
        await _statements(world, page % "primaryHandler { id } lastEvent { actor { username } }")
        == 3
    )


async def test_a_worklist_page_answers_every_relation_from_what_it_loaded(database, monkeypatch):
    """schema/prefetch.py loads what the Worklist shows before graphql-core walks the page, so no
    field of it waits for a loader: a field that did would cost a task per row (bench/README.md)."""
    world = await make_world(database)
    for n in range(4):
        dealer = "ab"[n % 2]
        order = await register(world, dealer=dealer)
        assigned = await world.gql(
            "se",
            "AssignWorkOrder",
            input={
                "id": order["id"],
                "expectedVersion": 1,
                "primaryHandlerId": world.user_gid(f"care_{dealer}"),
            },
        )
        assert assigned["assignWorkOrder"]["__typename"] == "WorkOrderPayload", assigned
    waited: list[int] = []
    later = Loader._later

    def counted(self, key, then):
        waited.append(key)
        return later(self, key, then)

    monkeypatch.setattr(Loader, "_later", counted)
    edges = (await world.gql("se", "Worklist", first=50))["workOrders"]["edges"]
    assert len(edges) == 4 and {e["node"]["primaryHandler"]["displayName"] for e in edges} == {
        "Care A",
        "Care B",
    }
    assert {e["node"]["dealer"]["name"] for e in edges} == {"dlr-a", "dlr-b"} and all(
        e["node"]["customer"]["phones"] for e in edges
    )
    assert all(e["node"]["lastEvent"]["actor"]["displayName"] == "Se" for e in edges)
    assert waited == []
    # The same relations outside a page still resolve, by waiting for their loaders.
    detail = (await world.gql("se", "OrderDetail", id=edges[0]["node"]["id"]))["workOrder"]
    assert detail["dealer"]["name"] and waited
