"""A page's SQL statement count does not grow with its size (DataLoaders batch every relation)."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from schema.app import schema
from schema.context import Context
from support import make_world, op, register


@contextmanager
def counting(database):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT", "PRAGMA")):
            statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)


async def test_fifty_orders_cost_the_same_statements_as_five(database):
    world = await make_world(database)
    for n in range(50):
        order = await register(world, "operator", dealer="ab"[n % 2], customer={"name": f"客户{n}", "phones": [f"1391234{n:04d}"]})
        handler = "care_a" if n % 2 == 0 else "care_b"
        await world.gql(
            "se", "AssignWorkOrder", input={"id": order["id"], "expectedVersion": 1, "primaryHandlerId": world.user_gid(handler)}
        )
    caller = await world.caller("se")  # authentication's own reads are not part of the page

    counts = {}
    for size in (5, 50):
        with counting(database) as statements:
            result = await schema.execute(op("Worklist"), variable_values={"first": size}, context_value=Context(caller, "t"))
        assert result.errors is None, result.errors
        assert len(result.data["workOrders"]["edges"]) == size
        counts[size] = len(statements)
    await caller.db.close()
    assert counts[5] == counts[50], counts
    assert counts[50] <= 8, counts  # orders, dealers, users, customers, phones, vehicles, last events
