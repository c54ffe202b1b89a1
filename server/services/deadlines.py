"""The deadline scan: record each warning and breach once, notify, and apply the profile's action.

It reads only orders whose next_deadline_at has come (an index), so its cost follows what is due,
not how many orders are open. Each batch is one transaction per tenant: a worker killed mid-scan
leaves nothing half-done, and the next scan picks the batch up again. Effects are keyed by
(order, clock, kind, due instant), so a retried message, a duplicate tick or two workers at once
record them once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import groupby

from sqlalchemy import select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import SlaEffect, Tenant, WorkOrder, WorkOrderClock
from server.db.session import TENANT, Database
from server.profiles import Action
from server.services import clocks, outbox
from server.services.history import record
from server.services.tenancy import TenantRuntime, runtime

# Orders per transaction: small enough to hold row locks briefly, large enough to amortise round trips.
BATCH = 200


@dataclass
class ScanReport:
    orders: int = 0
    effects: int = 0
    notifications: int = 0


async def scan(database: Database, now: datetime, batch: int = BATCH) -> ScanReport:
    report = ScanReport()
    after: tuple[datetime, int] | None = None
    while rows := await _due_orders(database, now, after, batch):
        for tenant_id, group in groupby(sorted(rows, key=lambda r: r[0]), key=lambda r: r[0]):
            await _scan_tenant(database, tenant_id, [order_id for _, order_id, _ in group], now, report)
        after = (rows[-1][2], rows[-1][1])
    return report


async def _due_orders(database: Database, now: datetime, after: tuple[datetime, int] | None, batch: int) -> list[tuple[int, int, datetime]]:
    query = (
        select(WorkOrder.tenant_id, WorkOrder.id, WorkOrder.next_deadline_at)
        .where(WorkOrder.next_deadline_at <= now)
        .order_by(WorkOrder.next_deadline_at, WorkOrder.id)
        .limit(batch)
    )
    if after is not None:
        query = query.where(tuple_(WorkOrder.next_deadline_at, WorkOrder.id) > after)
    async with database.platform() as session:
        return [(t, i, d) for t, i, d in (await session.execute(query)).all()]


async def _scan_tenant(database: Database, tenant_id: int, order_ids: list[int], now: datetime, report: ScanReport) -> None:
    async with database.platform() as session:
        version = await session.scalar(select(Tenant.policy_version).where(Tenant.id == tenant_id))
    tenant = await runtime(database, tenant_id, version or 0)
    async with database.writer(tenant_id) as session, session.begin():
        # Another worker holding some of these orders is scanning them now: skip, don't wait.
        orders = (
            await session.scalars(
                select(WorkOrder)
                .where(WorkOrder.id.in_(order_ids), WorkOrder.next_deadline_at <= now)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for order in orders:
            await _scan_order(session, tenant, order, now, report)


async def _scan_order(session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, now: datetime, report: ScanReport) -> None:
    report.orders += 1
    rows = await clocks.load(session, order.id)
    for row in rows:
        if row.next_check_at is not None and row.next_check_at <= now and row.due_at is not None:
            await _clock_due(session, tenant, order, row, now, report)
    next_at = clocks.next_check(rows)
    if order.next_deadline_at != next_at:
        # Bookkeeping only: a bulk UPDATE leaves the order's version alone, so nobody's edit conflicts with the scan.
        await session.execute(update(WorkOrder).where(WorkOrder.id == order.id).values(next_deadline_at=next_at))


async def _clock_due(session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, row: WorkOrderClock, now: datetime, report: ScanReport) -> None:
    assert row.due_at is not None
    kind = "breached" if now >= row.due_at else "due_soon"
    row.next_check_at = row.due_at if kind == "due_soon" else None
    if not await _record_effect(session, order, row, kind, now):
        return
    report.effects += 1
    rule = clocks.rules_for(tenant.profile, order).get(row.name)
    action = Action() if rule is None else (rule.on_breach if kind == "breached" else rule.on_due_soon)
    record(session, order, None, now, f"sla_{kind}", data={"clock": row.name, "due_at": row.due_at.isoformat()})
    report.notifications += await _notify(session, tenant, order, row, kind, action, now)
    if kind == "breached":
        await _act(session, tenant, order, action, row.name, now)


async def _record_effect(session: AsyncSession, order: WorkOrder, row: WorkOrderClock, kind: str, now: datetime) -> bool:
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    values = {
        "tenant_id": session.info[TENANT],
        "work_order_id": order.id,
        "clock": row.name,
        "kind": kind,
        "due_at": row.due_at,
        "recorded_at": now,
    }
    done = await session.execute(insert(SlaEffect).values(**values).on_conflict_do_nothing().returning(SlaEffect.id))
    return bool(done.all())


async def _notify(session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, row: WorkOrderClock, kind: str, action: Action, now: datetime) -> int:
    assert row.due_at is not None
    words = {"due_soon": ("即将超时", "due soon"), "breached": ("已超时", "breached")}[kind]
    message = outbox.Message(
        key=f"sla:{order.id}:{row.name}:{kind}:{row.due_at.isoformat()}",
        topic=f"sla.{kind}",
        subject=f"【{words[0]}】工单 {order.number} {row.name} / order {order.number}: {row.name} deadline {words[1]}",
        body={"order": order.number, "clock": row.name, "kind": kind, "due_at": row.due_at.isoformat(), "grade": order.grade},
    )
    return await outbox.put(session, message, await outbox.recipients(session, tenant.book, order, action.notify), now)


async def _act(session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, action: Action, clock: str, now: datetime) -> None:
    """The profile's automatic consequence of a breach: a new grade, a higher tier, recomputed clocks."""
    if action.regrade is None and action.move_to_tier is None:
        return
    before = {"grade": order.grade, "tier": order.tier}
    order.grade = action.regrade or order.grade
    order.tier = action.move_to_tier or order.tier
    order.updated_at = now
    order.version += 1
    changed = await clocks.retarget(session, tenant, order)
    reason = f"{clock} deadline breached: the profile regrades and escalates automatically"
    record(session, order, None, now, "regraded", comment=reason, data={"before": before, "after": {"grade": order.grade, "tier": order.tier}, "clocks": changed})
