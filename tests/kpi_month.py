"""A hand-computed month (March 2026, China time) of 30 population orders across three dealers,
written straight into the tables with known clock timings, for the reconciliation tests.

Each order names the outcome a person reading docs/rules.md#kpis expects for each KPI:
R response, C closure, F first-time resolution; T timely, N not timely, P pending, - not in the
population. The statement is taken at 2026-04-01 02:00 China time (AS_OF), after the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from support import DEALERS, World

from server.db.models import Customer, SlaEffect, Tenant, WorkOrder, WorkOrderClock

CN = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 4, 1, 2, tzinfo=CN).astimezone(UTC)
MONTH = "2026-03"


def cn(day: int, hour: int = 10, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CN).astimezone(UTC)


@dataclass
class Spec:
    key: str
    dealer: str
    registered: datetime
    expect: str  # R, C, F letters as above, e.g. "TTT"
    response_after: timedelta | None = timedelta(hours=1)  # stopped this long after; None: open
    closure_after: timedelta | None = timedelta(days=2)
    closure_paused: bool = False
    closed: bool = True  # closed when the closure clock stopped
    state: str = "closed"
    order_type: str = "sales_complaint"
    grade: str = "A"
    repeat_of: str | None = None
    escalated: bool = False
    closure_unlimited_after_breach: bool = False


H, D = timedelta(hours=1), timedelta(days=1)
SPECS = [
    # dealer a (east): 12 population orders, plus a consultation and a cancelled one
    Spec("a1", "a", cn(1, 0, 30), "TTT"),  # the first half hour of March in China
    Spec("a2", "a", cn(2), "TTT"),
    Spec("a3", "a", cn(3), "NTT", response_after=3 * H),
    Spec("a4", "a", cn(4), "TNT", closure_after=4 * D),
    Spec("a5-closed-repeated-day-6", "a", cn(5), "TTN", closure_after=D),  # closed Mar 6
    Spec(
        "a6-repeat-on-day-6",
        "a",
        cn(12),
        "TTT",
        repeat_of="a5-closed-repeated-day-6",
        escalated=True,
    ),
    Spec("a7-closed-repeated-day-8", "a", cn(5), "TTT", closure_after=D),  # closed Mar 6
    Spec(
        "a8-repeat-on-day-8",
        "a",
        cn(14),
        "TTT",
        repeat_of="a7-closed-repeated-day-8",
        escalated=True,
    ),
    Spec(
        "a9-open-past-deadline",
        "a",
        cn(20),
        "TNP",
        closure_after=None,
        closed=False,
        state="in_progress",
    ),
    Spec(
        "a10-open-not-due",
        "a",
        cn(30),
        "TPP",
        closure_after=None,
        closed=False,
        state="in_progress",
    ),
    Spec("a11-escalated-to-region", "a", cn(9), "TTT", escalated=True),
    Spec("a12-closed-recently", "a", cn(26), "TTP"),  # closed Mar 28: the 7 days end after AS_OF
    Spec("a13-consultation", "a", cn(10), "---", order_type="sales_consultation", grade="A"),
    Spec("a14-cancelled", "a", cn(11), "---", state="cancelled", closed=False),
    # dealer b (east): 10 population orders
    *(Spec(f"b{i}", "b", cn(i + 1), "TTT") for i in range(1, 6)),
    Spec(
        "b6-response-open-past-deadline",
        "b",
        cn(31, 8),
        "NPP",
        response_after=None,
        closure_after=None,
        closed=False,
        state="in_progress",
        grade="B",
    ),
    Spec(
        "b7-paused",
        "b",
        cn(17),
        "TPP",
        closure_after=None,
        closure_paused=True,
        closed=False,
        state="pending",
    ),
    Spec("b8-late-both", "b", cn(18), "NNT", response_after=5 * H, closure_after=5 * D),
    Spec(
        "b9-breached-b-then-c",
        "b",
        cn(10),
        "TNT",
        closure_after=12 * D,
        grade="C",
        closure_unlimited_after_breach=True,
    ),
    Spec(
        "b10-registered-last-minute",
        "b",
        cn(31, 23, 59),
        "TPP",
        response_after=timedelta(minutes=1),
        closure_after=None,
        closed=False,
        state="in_progress",
    ),
    Spec("b11-april", "b", cn(1, 0, 0, month=4), "---"),  # after the month in China
    # dealer c (west): 8 population orders
    *(Spec(f"c{i}", "c", cn(i + 2), "TTT") for i in range(1, 7)),
    Spec("c7", "c", cn(12), "NNT", response_after=4 * H, closure_after=6 * D),
    Spec("c8", "c", cn(13), "TTT"),
]
# The statement's lines, counted by hand from the letters above: (population, timely, not timely,
# pending) per KPI. Regions and the brand add their dealers up.
LINES = {
    "a": {
        "timely_response": (12, 11, 1, 0),
        "timely_closure": (12, 9, 2, 1),
        "first_time_resolution": (12, 8, 1, 3),
    },
    "b": {
        "timely_response": (10, 8, 2, 0),
        "timely_closure": (10, 5, 2, 3),
        "first_time_resolution": (10, 7, 0, 3),
    },
    "c": {
        "timely_response": (8, 7, 1, 0),
        "timely_closure": (8, 7, 1, 0),
        "first_time_resolution": (8, 8, 0, 0),
    },
}


async def load_month(world: World) -> dict[str, int]:
    """The orders of SPECS in `world` (tenant dated back to 2025); their ids by key."""
    ids: dict[str, int] = {}
    async with world.database.platform() as session, session.begin():
        created = datetime(2025, 6, 1, tzinfo=UTC)
        dated = update(Tenant).where(Tenant.id == world.tenant_id).values(created_at=created)
        await session.execute(dated)
    async with world.database.writer(world.tenant_id) as session, session.begin():
        customer = Customer(name="王先生")
        session.add(customer)
        await session.flush()
        for n, spec in enumerate(SPECS, start=1):
            order = _order(world, spec, n, customer.id, ids)
            session.add(order)
            await session.flush()
            ids[spec.key] = order.id
            session.add_all(_clocks(spec, order))
            if spec.closure_unlimited_after_breach:
                breach = spec.registered + 7 * D
                session.add(
                    SlaEffect(
                        work_order_id=order.id,
                        clock="closure",
                        kind="breached",
                        due_at=breach,
                        recorded_at=breach,
                    )
                )
    return ids


def _order(world: World, spec: Spec, n: int, customer_id: int, ids: dict[str, int]) -> WorkOrder:
    path = world.path(DEALERS[spec.dealer])
    closed_at = spec.registered + spec.closure_after if spec.closed and spec.closure_after else None
    return WorkOrder(
        number=f"SKD-TEST-{n:03d}",
        org_unit_id=world.units[DEALERS[spec.dealer]],
        org_path=path,
        customer_id=customer_id,
        profile_version="2026.1",
        channel="hotline_400",
        order_type=spec.order_type,
        category="A4a",
        grade=spec.grade,
        tier="RBO" if spec.escalated else "DLR",
        state=spec.state,
        received_at=spec.registered,
        registered_at=spec.registered,
        registered_by_id=world.users["operator"],
        updated_at=spec.registered,
        summary=spec.key,
        details=spec.key,
        demands=[],
        flags=[],
        handled_at=closed_at,
        closed_at=closed_at,
        escalated=spec.escalated,
        repeat_of_id=ids[spec.repeat_of] if spec.repeat_of else None,
        repeat_number=2 if spec.repeat_of else 1,
    )


def _clocks(spec: Spec, order: WorkOrder) -> list[WorkOrderClock]:
    at = spec.registered
    response = WorkOrderClock(
        work_order_id=order.id,
        name="response",
        target=120,
        unit="business_minutes",
        started_at=at,
        running_since=at,
        budget=120,
        due_at=at + 2 * H,
        stopped_at=at + spec.response_after if spec.response_after else None,
    )
    closure = WorkOrderClock(
        work_order_id=order.id,
        name="closure",
        target=3,
        unit="working_days",
        started_at=at,
        running_since=None if spec.closure_paused else at,
        due_at=None if spec.closure_paused else at + 3 * D,
        budget=None if spec.closure_paused else 3 * 540,
        used=60 if spec.closure_paused else 0,
        stopped_at=at + spec.closure_after if spec.closure_after else None,
    )
    if spec.closure_unlimited_after_breach:  # regraded C on the breach: no deadline any more
        closure.target, closure.due_at, closure.budget = None, None, None
    return [response, closure]
