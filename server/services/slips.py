"""Upgrade-warning slips (客户投诉升级预警单): issued once per order and trigger, acknowledged
against a clock from the profile, closed with the functional department's result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import WarningSlip, WorkOrder, WorkOrderClock
from server.domain import bounds, sla
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.escalation import next_tier
from server.domain.sla import Unit
from server.domain.text import text_problem
from server.services import clocks, outbox, references
from server.services.caller import Caller
from server.services.changes import Change, changing
from server.services.history import record
from server.services.tenancy import TenantRuntime


async def issue(
    session: AsyncSession,
    tenant: TenantRuntime,
    order: WorkOrder,
    trigger: str,
    reason: str,
    by: int | None,
    now: datetime,
    words: str | None = None,
) -> WarningSlip | None:
    """The slip for this trigger, unless the order has one already (then None: nothing happens
    twice)."""
    category = tenant.profile_of(order).categories[order.category]
    to_tier = next_tier(category.routing, order.tier) or order.tier
    values = {
        "work_order_id": order.id,
        "trigger": trigger,
        "reason": reason,
        "from_tier": order.tier,
        "to_tier": to_tier,
        "repeat_words": words,
        "state": "issued",
        "issued_at": now,
        "issued_by_id": by,
        "tenant_id": order.tenant_id,
    }
    slip_id = await session.scalar(
        upsert.insert(session, WarningSlip)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(WarningSlip.id)
    )
    if slip_id is None:
        return None
    slip = await session.get_one(WarningSlip, slip_id)
    order.escalated = True
    await _start_ack_clock(session, tenant, order, slip, now)
    await record(
        session,
        order,
        by,
        now,
        "slip_issued",
        comment=reason,
        data={"trigger": trigger, "to_tier": to_tier},
    )
    await _notify(session, tenant, order, slip, now)
    return slip


def ack_clock_name(slip: WarningSlip) -> str:
    return f"slip-{slip.trigger}"


async def _start_ack_clock(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, slip: WarningSlip, now: datetime
) -> None:
    profile = tenant.profile_of(order)
    target = profile.slip_acknowledgement
    if target is None:
        return
    clock = sla.start(
        ack_clock_name(slip),
        target.amount,
        Unit(target.unit),
        now,
        tenant.calendar_of(order),
        profile.warn_before_percent,
    )
    row = WorkOrderClock(work_order_id=order.id, name=clock.name)
    clocks.store(row, clock)
    session.add(row)
    await session.flush()
    order.next_deadline_at = clocks.next_deadline(await clocks.load(session, order.id))


async def _notify(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, slip: WarningSlip, now: datetime
) -> None:
    message = outbox.Message(
        key=f"slip:{slip.id}",
        topic="slip.issued",
        subject=(
            f"【升级预警】工单 {order.number}：{slip.reason} / "
            f"upgrade warning for order {order.number}"
        ),
        body={
            "order": order.number,
            "trigger": slip.trigger,
            "reason": slip.reason,
            "to_tier": slip.to_tier,
        },
    )
    level = tenant.profile_of(order).tiers[slip.to_tier].level
    await outbox.put(
        session,
        message,
        await outbox.tier_managers(session, tenant.book, order.org_path, level),
        now,
    )


async def acknowledge(caller: Caller, slip_id: int) -> WarningSlip:
    async with _slip_change(caller, slip_id, "slip.acknowledge") as (change, slip):
        if slip.state != "issued":
            raise TransitionNotAllowedError(
                slip.state, "acknowledge", reason="the slip was acknowledged already"
            )
        slip.state, slip.acknowledged_at, slip.acknowledged_by_id = (
            "acknowledged",
            change.now,
            caller.user_id,
        )
        await clocks.stop_named(
            change.session, caller.tenant, change.order, ack_clock_name(slip), change.now
        )
        await change.record("slip_acknowledged", data={"trigger": slip.trigger})
    return slip


async def record_result(
    caller: Caller, slip_id: int, result: str, handler_id: int, at: datetime | None
) -> WarningSlip:
    async with _slip_change(caller, slip_id, "slip.acknowledge") as (change, slip):
        problem = text_problem(result, required=True)
        problems = [FieldProblem(("result",), problem)] if problem else []
        if at is not None and (problem := bounds.past_instant_problem(at, change.now)):
            problems.append(FieldProblem(("at",), problem))
        if await references.find(change.session, caller, references.USER, handler_id) is None:
            problems.append(references.unknown(references.USER, "handlerId"))
        if problems:
            raise InvalidInputError(problems)
        if slip.state == "resulted":
            raise TransitionNotAllowedError(
                slip.state, "recordResult", reason="the slip has its result already"
            )
        if slip.state == "issued":
            await clocks.stop_named(
                change.session, caller.tenant, change.order, ack_clock_name(slip), change.now
            )
        slip.state, slip.result, slip.result_handler_id, slip.result_at = (
            "resulted",
            result,
            handler_id,
            at or change.now,
        )
        await change.record("slip_resulted", comment=result, data={"trigger": slip.trigger})
    return slip


@asynccontextmanager
async def _slip_change(
    caller: Caller, slip_id: int, permission: str
) -> AsyncIterator[tuple[Change, WarningSlip]]:
    """The slip's order taken for changing at any version: acknowledging never overwrites the
    order."""
    async with caller.db.read() as session:
        found = await references.resolve(session, caller, references.SLIP, slip_id)
    async with changing(caller, found.work_order_id, None) as change:
        slip = await change.session.get_one(WarningSlip, slip_id, with_for_update=True)
        caller.authz.require(permission, change.order.org_path)
        yield change, slip
