"""Repeat complaints: the same customer (by phone or VIN) on the same issue within the profile's
natural-day window after the earlier order was handled. The new order is an escalation order linked
to the original and routed to the category's next handler; the original is not resolved first
time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkOrder
from server.domain.escalation import Routing, route
from server.services import escalation, slips
from server.services.caller import Caller


@dataclass(frozen=True)
class Repeat:
    prior: WorkOrder
    number: int
    routing: Routing


async def find(
    session: AsyncSession,
    caller: Caller,
    category: str,
    customer_id: int,
    vehicle_id: int | None,
    received_at: datetime,
    linked: WorkOrder | None,
) -> Repeat | None:
    """The earlier order this complaint repeats: the one the operator linked (resolved by the caller
    with the rest of the registration's ids), else the customer's most recent on the issue."""
    prior = linked or await _recent(session, caller, category, customer_id, vehicle_id, received_at)
    if prior is None:
        return None
    number = prior.repeat_number + 1
    # The new order is routed by the version in force, which it is registered under; a category
    # of the prior order's version that the version in force dropped routes as the new one's.
    known = caller.profile.categories
    routing = (known.get(prior.category) or known[category]).routing
    return Repeat(prior, number, route(routing, number))


async def _recent(
    session: AsyncSession,
    caller: Caller,
    category: str,
    customer_id: int,
    vehicle_id: int | None,
    received_at: datetime,
) -> WorkOrder | None:
    window = timedelta(days=caller.profile.repeat_days)
    same_customer = WorkOrder.customer_id == customer_id
    if vehicle_id is not None:
        same_customer = or_(same_customer, WorkOrder.vehicle_id == vehicle_id)
    return await session.scalar(
        select(WorkOrder)
        .where(same_customer, WorkOrder.category == category)
        .where(
            WorkOrder.handled_at.is_not(None),
            WorkOrder.handled_at <= received_at,
            WorkOrder.handled_at >= received_at - window,
        )
        .order_by(WorkOrder.handled_at.desc())
        .limit(1)
    )


def route_up(
    caller: Caller, order: WorkOrder, repeat: Repeat, now: datetime
) -> escalation.TierMove:
    """The new order goes to the tier that handles this complaint number, escalated like any order
    moved up; recorded (escalation.record) once the order is stored."""
    number, prior = repeat.number, repeat.prior.number
    why = (
        f"第 {number} 次投诉同一问题（{prior}）/ complaint number {number} on the issue of {prior}"
    )
    return escalation.move(order, repeat.routing.tier, up=True, why=why, by=caller.user_id, at=now)


async def link(
    session: AsyncSession, caller: Caller, order: WorkOrder, repeat: Repeat, now: datetime
) -> None:
    """After the new order is inserted: mark the original, and past the routing table warn
    upward."""
    # A fact about the original, not an edit of it: its version stays, so its handler is not
    # disturbed.
    await session.execute(
        update(WorkOrder).where(WorkOrder.id == repeat.prior.id).values(repeated=True)
    )
    if repeat.routing.beyond_table:
        reason = (
            f"第 {repeat.number} 次投诉同一问题 / "
            f"complaint number {repeat.number} on the same issue"
        )
        await slips.issue(
            session, caller.tenant, order, "REPEAT", reason, caller.user_id, now, order.details
        )
