"""Revisit statistics for the KPI work: one grouped statement, however many orders are counted."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    String,
    case,
    cast,
    insert,
    literal,
    literal_column,
    select,
)
from support import counting, make_world
from test_revisits import handled

from server.db.models import Revisit, WorkOrder
from server.services import revisits

SH = ZoneInfo("Asia/Shanghai")
MANY = 100_000


async def copies(world, count: int) -> None:
    """`count` copies of the tenant's one order, each with a revisit (a third open, a third
    completed satisfied or dissatisfied, a third unsuccessful), written by two statements."""
    orders, table = WorkOrder.__table__, Revisit.__table__
    numbers = select(literal(1).label("i")).cte("numbers", recursive=True)
    numbers = numbers.union_all(select(numbers.c.i + 1).where(numbers.c.i < count))
    template = orders.alias("template")
    columns = [c.name for c in orders.columns if c.name != "id"]
    values = [
        (template.c.number + "-x" + cast(numbers.c.i, String)).label("number")
        if name == "number"
        else template.c[name]
        for name in columns
    ]
    source = select(*values).select_from(template.join(numbers, literal(True)))
    source = source.where(
        template.c.tenant_id == world.tenant_id, template.c.org_path == world.path("/east/dlr-a")
    )
    kind = cast(orders.c.id, Integer) % 3
    state = case((kind == 0, "open"), (kind == 1, "completed"), else_="unsuccessful")
    result = case((kind == 1, case((orders.c.id % 2 == 0, "satisfied"), else_="dissatisfied")))
    opened = select(
        orders.c.tenant_id, orders.c.id, orders.c.org_unit_id, orders.c.org_path,
        literal("resolve"), orders.c.version, state, orders.c.registered_at, literal(0),
        result, literal_column("'[]'"),
    ).where(orders.c.tenant_id == world.tenant_id, orders.c.number.like("%-x%"))  # fmt: skip
    targets = [
        "tenant_id", "work_order_id", "org_unit_id", "org_path", "trigger", "order_version",
        "state", "created_at", "failed_attempts", "result", "answers",
    ]  # fmt: skip
    async with world.database.platform() as session, session.begin():
        await session.execute(insert(orders).from_select(columns, source))
        await session.execute(insert(table).from_select(targets, opened))


async def statements(world, start: datetime, end: datetime) -> tuple[int, list]:
    caller = await world.caller("rbo_east")
    with counting(world.database) as seen:
        found = await revisits.statistics(caller, start, end)
    await caller.db.close()
    return len(seen), found


async def test_the_statistics_over_100000_orders_cost_one_statement(database):
    world = await make_world(database)
    world.clock.now = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    await handled(world, "a")
    world.clock.now += timedelta(minutes=5)
    await handled(world, "b", "care_b")
    start, end = world.clock.now - timedelta(days=1), world.clock.now + timedelta(days=1)
    few, small = await statements(world, start, end)
    assert [(s.revisits, s.finished) for s in small] == [(1, 0), (1, 0)]
    await copies(world, MANY)
    many, large = await statements(world, start, end)
    assert few == many == 1
    by_dealer = {s.org_unit_id: s for s in large}
    a, b = by_dealer[world.units["/east/dlr-a"]], by_dealer[world.units["/east/dlr-b"]]
    assert (a.revisits, b.revisits) == (MANY + 1, 1)
    # the same numbers, counted row by row
    async with world.database.platform() as session:
        query = select(Revisit.state, Revisit.result).where(
            Revisit.tenant_id == world.tenant_id, Revisit.org_unit_id == a.org_unit_id
        )
        rows = (await session.execute(query)).all()
    states = Counter(state for state, _ in rows)
    assert a.finished == states["completed"] + states["unsuccessful"]
    assert a.successful == states["completed"]
    assert a.results == dict(Counter(result for _, result in rows if result is not None))
    assert a.completion_rate == a.finished / (MANY + 1)
    assert a.success_rate == states["completed"] / a.finished
