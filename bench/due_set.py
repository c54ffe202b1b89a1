"""A fresh due set for one scan tick: `count` open orders whose clocks are moved back in time, as if
they had started earlier, until a clock is inside its warning window (half of them) or past its
deadline (the other half). The clocks are recomputed by the same code as the generated ones
(bench/clock_rows.py), so due and warning instants stay on the tenant's business calendar.

Only orders with a deadline still ahead and nothing recorded yet are chosen, so each run's set is
new and the tick finds exactly these orders. Unprocessed orders are made due on their response
clock (nobody has called the customer yet), the others on their closure clock: a B order past its
closure deadline is the profile's automatic regrade to C at the SE tier, so the tick does that too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from bench.clock_rows import Clocks, Order, first_check
from server.db.models import WorkOrderClock
from server.db.session import Database
from server.domain import sla
from server.services import clocks

CANDIDATES = text(
    "SELECT o.id, o.org_path, o.grade, o.category, o.channel, o.state FROM work_orders o "
    "WHERE o.tenant_id = :tenant AND o.next_deadline_at > :now "
    "AND NOT EXISTS (SELECT 1 FROM sla_effects e "
    "WHERE e.tenant_id = o.tenant_id AND e.work_order_id = o.id) "
    "ORDER BY random() LIMIT :count"
)
DROP_CLOCKS = text(
    "DELETE FROM work_order_clocks "
    "WHERE tenant_id = :tenant AND work_order_id = ANY(CAST(:ids AS bigint[]))"
)
NEXT_DEADLINES = text(
    "UPDATE work_orders o SET next_deadline_at = d.at "
    "FROM unnest(CAST(:ids AS bigint[]), CAST(:ats AS timestamptz[])) AS d(id, at) "
    "WHERE o.id = d.id"
)
# Clock starts are searched between now and this long ago (a B closure of 7 working days around a
# holiday is the longest), to the second.
SEARCH = timedelta(days=40)
PRECISION = timedelta(seconds=1)


@dataclass
class DueSet:
    order_ids: list[int]
    due_soon: int
    breached: int


async def make(database: Database, made: Clocks, count: int) -> DueSet:
    """Makes `count` orders due as of `made.now`; fewer if not enough orders have a deadline
    ahead."""
    tenant_id = made.tenant.tenant_id
    async with database.engine.begin() as conn:
        found = (
            await conn.execute(CANDIDATES, {"tenant": tenant_id, "now": made.now, "count": count})
        ).all()
        orders = [Order(*row) for row in found]
        new_rows: list[WorkOrderClock] = []
        next_at: list[datetime | None] = []
        breached = 0
        starts: dict[tuple[object, ...], datetime] = {}
        for i, order in enumerate(orders):
            breach = i % 2 == 1
            rows = _due_clocks(made, order, breach, starts)
            breached += breach
            new_rows.extend(rows)
            next_at.append(clocks.next_deadline(rows))
        ids = [order.id for order in orders]
        await conn.execute(DROP_CLOCKS, {"tenant": tenant_id, "ids": ids})
        await conn.execute(WorkOrderClock.__table__.insert(), [_values(row) for row in new_rows])
        await conn.execute(NEXT_DEADLINES, {"ids": ids, "ats": next_at})
    return DueSet(ids, len(orders) - breached, breached)


def _due_clocks(
    made: Clocks, order: Order, breach: bool, starts: dict[tuple[object, ...], datetime]
) -> list[WorkOrderClock]:
    """The order's clocks started at the latest instant that makes one due soon (or breached),
    less a little: a breach up to two days old, a warning at most two minutes old, so a due-soon
    response clock (24 business minutes of warning) reaches its deadline only 20 minutes on, after
    the runs of one benchmark, instead of turning up due again in a later run's tick."""
    contacted = order.state != "unprocessed"
    now = made.now
    wanted = sla.SlaStatus.BREACHED if breach else sla.SlaStatus.DUE_SOON

    def due(started: datetime) -> bool:
        rows = made.at(order, started, contacted)
        if breach:
            return any(sla.status(clocks.to_clock(r), now) == wanted for r in rows)
        first = first_check(rows)
        return first is not None and first <= now

    # That instant depends on the rules and the calendar only: one search per kind of order.
    rules = tuple((name, rule.target, rule.unit) for name, rule in made.rules(order).items())
    key = (rules, id(made.calendar(order.org_path)), order.state, contacted, breach)
    if key not in starts:
        starts[key] = _latest(due, now - SEARCH, now)
    latest = starts[key]
    jitter = (
        timedelta(hours=made.rng.uniform(1, 48))
        if breach
        else timedelta(minutes=made.rng.uniform(0, 2))
    )
    rows = made.at(order, latest - jitter, contacted)
    if not any(sla.status(clocks.to_clock(r), now) == wanted for r in rows):
        rows = made.at(order, latest, contacted)  # the jitter crossed into the next status
    return rows


def _latest(holds: Callable[[datetime], bool], low: datetime, high: datetime) -> datetime:
    """The latest start in [low, high] for which `holds` (monotonic: true early, false late) is
    true."""
    while high - low > PRECISION:
        middle = low + (high - low) / 2
        if holds(middle):
            low = middle
        else:
            high = middle
    return low


def _values(row: WorkOrderClock) -> dict[str, object]:
    return {
        column.key: getattr(row, column.key)
        for column in WorkOrderClock.__table__.columns
        if column.key != "id"
    }
