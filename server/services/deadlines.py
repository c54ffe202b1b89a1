"""The deadline scan: record each warning and breach once, notify, and apply the profile's action.

It reads only the clocks whose next check has come (a partial index on
work_order_clocks.next_check_at), so its cost follows what is due, not how many orders are open;
and it moves those narrow clock rows on, leaving the wide order row alone unless the profile
regrades the order. Each batch is one transaction per tenant: a worker killed mid-scan
leaves nothing half-done, and the next scan picks the batch up again. Effects are keyed by
(order, clock, kind, due instant), so a retried message, a duplicate tick or two workers at once
record them once.

A batch is written set-based, with the same dozen statements however many orders it holds (the
orders, their due clocks, the effects, the history, the outbox, the regrades): with
several statements per order, 1,000 due orders took 30 s instead of 1-2 s (bench/README.md).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

from sqlalchemy import bindparam, case, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from server.db import board_counts, upsert
from server.db.among import among
from server.db.models import SlaEffect, Tenant, WorkOrder, WorkOrderClock
from server.db.session import TENANT, Database, enter_platform
from server.profiles import Action
from server.services import clocks, duties, escalation, grade_routing, history, outbox
from server.services.tenancy import TenantRuntime, runtime

# Orders per transaction: large enough that the fixed statements of a batch cost little per order,
# small enough to hold the orders' row locks for a fraction of a second.
BATCH = 1000
# Batches written at once, each on its own connection: while PostgreSQL writes one, the next is
# built in Python (and a second core, where there is one, writes too).
PARALLEL = 2


@dataclass
class ScanReport:
    orders: int = 0
    effects: int = 0
    notifications: int = 0


@dataclass
class DueOrder:
    """The columns of a due order that the scan reads, and changes on an automatic regrade."""

    id: int
    tenant_id: int
    number: str
    org_path: str
    department: str | None
    state: str
    version: int
    grade: str | None
    tier: str
    category: str
    channel: str
    primary_handler_id: int | None
    secondary_handler_id: int | None
    next_deadline_at: datetime | None
    escalated: bool
    profile_version: str


@dataclass(frozen=True)
class Effect:
    order: DueOrder
    clock: str
    kind: str  # due_soon, breached
    due_at: datetime


_COLUMNS = [getattr(WorkOrder, name) for name in DueOrder.__dataclass_fields__]


async def scan(database: Database, now: datetime, batch: int = BATCH) -> ScanReport:
    report = ScanReport()
    after: tuple[datetime, int] | None = None
    gate = asyncio.Semaphore(PARALLEL)

    async def one(tenant_id: int, version: int, order_ids: list[int]) -> None:
        async with gate:
            await _scan_tenant(database, tenant_id, version, order_ids, now, report)

    # One connection lists every page, across tenants: a worker's engine is unpooled, and opening a
    # connection costs more than a page's query. Each page is its own short read transaction.
    async with database.engine.connect() as pages, asyncio.TaskGroup() as batches:
        while True:
            await enter_platform(pages)
            rows, versions = await _due_clocks(pages, now, after, batch)
            await pages.commit()
            if not rows:
                break
            for tenant_id, group in groupby(
                sorted(rows, key=lambda r: r.tenant_id), key=lambda r: r.tenant_id
            ):
                # An order with two clocks due is one order: the batch that locks it handles both.
                order_ids = sorted({row.work_order_id for row in group})
                batches.create_task(one(tenant_id, versions[tenant_id], order_ids))
            after = (rows[-1].next_check_at, rows[-1].id)
    return report


async def _due_clocks(
    conn: AsyncConnection, now: datetime, after: tuple[datetime, int] | None, batch: int
) -> tuple[list[Any], dict[int, int]]:
    """A page of due clocks across tenants, and the policy version of each tenant on it."""
    query = (
        select(
            WorkOrderClock.tenant_id,
            WorkOrderClock.work_order_id,
            WorkOrderClock.next_check_at,
            WorkOrderClock.id,
        )
        .where(WorkOrderClock.next_check_at <= now)
        .order_by(WorkOrderClock.next_check_at, WorkOrderClock.id)
        .limit(batch)
    )
    if after is not None:
        query = query.where(tuple_(WorkOrderClock.next_check_at, WorkOrderClock.id) > after)
    rows = list((await conn.execute(query)).all())
    if not rows:
        return [], {}
    versions = select(Tenant.id, Tenant.policy_version).where(
        Tenant.id.in_({row.tenant_id for row in rows})
    )
    return rows, dict((await conn.execute(versions)).all())


async def _scan_tenant(
    database: Database,
    tenant_id: int,
    version: int,
    order_ids: list[int],
    now: datetime,
    report: ScanReport,
) -> None:
    tenant = await runtime(database, tenant_id, version)
    async with database.writer(tenant_id) as session, session.begin():
        # Another worker holding some of these orders is scanning them now: skip, don't wait.
        locked = await session.execute(
            select(*_COLUMNS)
            .where(among(session, WorkOrder.id, order_ids))
            .with_for_update(skip_locked=True)
        )
        orders = {row.id: DueOrder(*row) for row in locked.all()}
        if not orders:
            return
        report.orders += len(orders)
        effects = await _record_effects(session, orders, now)
        report.effects += len(effects)
        await history.record_all(
            session,
            [
                history.Event(
                    e.order,
                    None,
                    now,
                    f"sla_{e.kind}",
                    data={"clock": e.clock, "due_at": e.due_at.isoformat()},
                )
                for e in effects
            ],
        )
        written = await _notify(
            session, tenant, effects, now
        )  # not `+= await`: batches run at once
        report.notifications += written
        await _act(session, tenant, [e for e in effects if e.kind == "breached"], now)


async def _record_effects(
    session: AsyncSession, orders: dict[int, DueOrder], now: datetime
) -> list[Effect]:
    """Moves each due clock on (a warned clock is looked at again at its deadline, a breached one
    no more) and records its effect; returns the effects recorded now, not those recorded before."""
    # One statement finds the due clocks and moves them on, returning what it moved.
    moved = (
        update(WorkOrderClock)
        .where(
            among(session, WorkOrderClock.work_order_id, list(orders)),
            WorkOrderClock.next_check_at <= now,
            WorkOrderClock.due_at.is_not(None),
        )
        .values(
            next_check_at=case((WorkOrderClock.due_at <= now, None), else_=WorkOrderClock.due_at)
        )
        .returning(WorkOrderClock.work_order_id, WorkOrderClock.name, WorkOrderClock.due_at)
    )
    due = (await session.execute(moved, execution_options={"synchronize_session": False})).all()
    if not due:
        return []
    found = {(row.work_order_id, row.name, _kind(row.due_at, now)): row.due_at for row in due}
    values = [
        {
            "tenant_id": session.info[TENANT],
            "work_order_id": order_id,
            "clock": clock,
            "kind": kind,
            "due_at": due_at,
            "recorded_at": now,
        }
        for (order_id, clock, kind), due_at in found.items()
    ]
    table = (
        SlaEffect.__table__
    )  # not the mapped class: the ORM's bulk-insert bookkeeping costs more than the statement
    statement, parameters = upsert.insert_many(session, table, values)
    statement = statement.on_conflict_do_nothing().returning(
        table.c.work_order_id, table.c.clock, table.c.kind
    )
    new = [tuple(row) for row in await session.execute(statement, parameters)]
    return [
        Effect(orders[o], clock, kind, found[(o, clock, kind)]) for o, clock, kind in sorted(new)
    ]


def _kind(due_at: datetime, now: datetime) -> str:
    return "breached" if now >= due_at else "due_soon"


def _action(tenant: TenantRuntime, effect: Effect) -> Action:
    rule = clocks.rules_for(tenant.profile_of(effect.order), effect.order).get(effect.clock)
    if rule is None:
        return Action()
    return rule.on_breach if effect.kind == "breached" else rule.on_due_soon


async def _notify(
    session: AsyncSession, tenant: TenantRuntime, effects: list[Effect], now: datetime
) -> int:
    by_audience: dict[tuple[str, ...], list[Effect]] = {}
    for effect in effects:
        by_audience.setdefault(_action(tenant, effect).notify, []).append(effect)
    messages: list[tuple[outbox.Message, set[int]]] = []
    for who, group in by_audience.items():
        audiences = await outbox.recipients_of(session, tenant.book, [e.order for e in group], who)
        # The step's own duty holders too (tracking.yaml), e.g. the CR manager for contact.
        wanted = [
            (e.order.org_path, tenant.profile_of(e.order).tracking.duties.get(e.clock, ()))
            for e in group
        ]
        owners = await duties.role_holders(session, wanted)
        messages.extend(
            (_message(effect), recipients | mine)
            for effect, recipients, mine in zip(group, audiences, owners, strict=True)
        )
    return await outbox.put_many(session, messages, now)


def _message(effect: Effect) -> outbox.Message:
    order, clock, kind, due = effect.order, effect.clock, effect.kind, effect.due_at.isoformat()
    words = {"due_soon": ("即将超时", "due soon"), "breached": ("已超时", "breached")}[kind]
    return outbox.Message(
        key=f"sla:{order.id}:{clock}:{kind}:{due}",
        topic=f"sla.{kind}",
        subject=(
            f"【{words[0]}】工单 {order.number} {clock} / "
            f"order {order.number}: {clock} deadline {words[1]}"
        ),
        body={
            "order": order.number,
            "clock": clock,
            "kind": kind,
            "due_at": due,
            "grade": order.grade,
        },
    )


async def _act(
    session: AsyncSession, tenant: TenantRuntime, breaches: list[Effect], now: datetime
) -> None:
    """The profile's automatic consequence of a breach: a new grade, a higher tier, recomputed
    clocks."""
    acting: dict[int, tuple[Effect, Action]] = {}
    for effect in breaches:
        action = _action(tenant, effect)
        # Once per order: two clocks breached in the same tick must not regrade it twice.
        if (action.regrade or action.move_to_tier) and effect.order.id not in acting:
            acting[effect.order.id] = (effect, action)
    if not acting:
        return
    rows: dict[int, list[WorkOrderClock]] = {order_id: [] for order_id in acting}
    query = (
        select(WorkOrderClock)
        .where(among(session, WorkOrderClock.work_order_id, list(acting)))
        .order_by(WorkOrderClock.id)
    )
    for row in await session.scalars(query):
        rows[row.work_order_id].append(row)
    changes: list[dict[str, Any]] = []
    regraded: list[history.Event] = []
    moves: list[escalation.TierMove] = []
    counted: Counter[board_counts.Key] = Counter()  # the board's counts, moved by the UPDATE
    for effect, action in acting.values():
        order = effect.order
        regrade = action.regrade if action.regrade != order.grade else None
        tier = action.move_to_tier if action.move_to_tier != order.tier else None
        if regrade is None and tier is None:
            continue
        counts_before = board_counts.key_of(order)
        order.version += 1
        reason = (
            f"{effect.clock} deadline breached: the profile regrades and escalates automatically"
        )
        if regrade is not None:
            before, order.grade = order.grade, regrade
            changed = await clocks.retarget(session, tenant, order, rows[order.id])
            data = {"before": {"grade": before}, "after": {"grade": order.grade}, "clocks": changed}
            regraded.append(history.Event(order, None, now, "regraded", comment=reason, data=data))
        if tier is not None:
            moves.append(escalation.move(order, tier, up=True, why=reason, by=None, at=now))
        elif regrade is not None:  # the new grade may start at a higher tier (handling.yaml)
            profile = tenant.profile_of(order)
            if routed := grade_routing.route(profile, order, regrade, by=None, at=now):
                moves.append(routed)
        changes.append(_changed(order))
        board_counts.move(counted, counts_before, board_counts.key_of(order))
    # The orders are locked by this transaction, so the version is bumped without the ORM's check.
    table = WorkOrder.__table__
    statement = (
        update(table)
        .where(table.c.tenant_id == session.info[TENANT], table.c.id == bindparam("order_id"))
        .values({name: bindparam(f"new_{name}") for name in _ACTED} | {"updated_at": now})
    )
    if changes:
        await session.execute(statement, changes)
        await session.run_sync(board_counts.apply, counted)
    await history.record_all(session, regraded)
    await escalation.record(session, tenant, moves, now)


# What a breach action may change on an order (a regrade, a tier move, and so its clocks).
_ACTED = (
    "grade",
    "tier",
    "escalated",
    "primary_handler_id",
    "secondary_handler_id",
    "version",
    "next_deadline_at",
)


def _changed(order: DueOrder) -> dict[str, Any]:
    return {"order_id": order.id} | {f"new_{name}": getattr(order, name) for name in _ACTED}
