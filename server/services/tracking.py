"""Tracking reminders (tracking.yaml `reminders`): an open order of a grade the profile tracks
reminds the holders of the reminder's role at its cadence until it is closed or cancelled (e.g.
an important complaint daily, a general one weekly), or once a month for the orders in the
reminder's states since before the month (a pending-matters ledger). Run by the
scheduler; each round of each order is keyed in the outbox, so a retry, a duplicate tick or two
workers send it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.among import among
from server.db.models import Tenant, WorkOrder, WorkOrderEvent
from server.db.session import Database
from server.domain.handling import Reminder, monthly_round, reminder_round
from server.services import duties, outbox
from server.services.tenancy import TenantRuntime, runtime


@dataclass
class RemindReport:
    orders: int = 0
    notifications: int = 0


async def remind(database: Database, now: datetime) -> RemindReport:
    report = RemindReport()
    async with database.platform() as session:
        tenants = (
            await session.execute(select(Tenant.id, Tenant.policy_version).where(Tenant.active))
        ).all()
    for tenant_id, version in tenants:
        tenant = await runtime(database, tenant_id, version)
        if any(p.tracking.reminders for p in tenant.versions.values()):
            await _remind_tenant(database, tenant, now, report)
    return report


@dataclass
class _Open:
    """The columns of an open order that the reminders read."""

    id: int
    number: str
    org_path: str
    grade: str | None
    state: str
    profile_version: str
    registered_at: datetime


_COLUMNS = [getattr(WorkOrder, name) for name in _Open.__dataclass_fields__]


async def _remind_tenant(
    database: Database, tenant: TenantRuntime, now: datetime, report: RemindReport
) -> None:
    grades = {g for p in tenant.versions.values() for r in p.tracking.reminders for g in r.grades}
    async with database.writer(tenant.tenant_id) as session, session.begin():
        query = select(*_COLUMNS).where(
            WorkOrder.closed_at.is_(None), WorkOrder.grade.in_(sorted(grades))
        )
        orders = [_Open(*row) for row in (await session.execute(query)).all()]
        ruled = [
            (order, rule)
            for order in orders
            if not tenant.state_of(order).final
            for rule in tenant.profile_of(order).tracking.reminders
            if order.grade in rule.grades and (not rule.states or order.state in rule.states)
        ]
        since = await _in_state_since(session, [o.id for o, r in ruled if r.monthly is not None])
        due: list[tuple[_Open, Reminder, int | str]] = []
        for order, rule in ruled:
            if rule.every is not None:
                n = reminder_round(order.registered_at, now, rule.every)
                if n >= 1:
                    due.append((order, rule, n))
            elif rule.monthly is not None:
                month, began = monthly_round(now, tenant.profile.timezone, rule.monthly)
                if since.get(order.id, order.registered_at) < began:
                    due.append((order, rule, month))
        wanted = [(order.org_path, (rule.role,)) for order, rule, _ in due]
        holders = await duties.role_holders(session, wanted)
        messages = [
            (_message(order, rule, n), people)
            for (order, rule, n), people in zip(due, holders, strict=True)
        ]
        report.orders += len(due)
        report.notifications += await outbox.put_many(session, messages, now)


async def _in_state_since(session: AsyncSession, ids: list[int]) -> dict[int, datetime]:
    """When each order entered the state it is in: its latest event into that state."""
    if not ids:
        return {}
    entered = (
        select(WorkOrderEvent.work_order_id, func.max(WorkOrderEvent.at))
        .join(
            WorkOrder,
            and_(
                WorkOrder.id == WorkOrderEvent.work_order_id,
                WorkOrder.state == WorkOrderEvent.to_state,
            ),
        )
        .where(among(session, WorkOrderEvent.work_order_id, ids))
        .group_by(WorkOrderEvent.work_order_id)
    )
    return dict((await session.execute(entered)).all())


def _message(order: _Open, rule: Reminder, round_: int | str) -> outbox.Message:
    """`round_`: the interval's count from registration, or the month of a monthly reminder."""
    zh, en = (f"第 {round_} 次", f"round {round_}") if isinstance(round_, int) else (round_,) * 2
    return outbox.Message(
        key=f"tracking:{order.id}:{rule.code}:{round_}",
        topic="workorder.tracking",
        subject=(
            f"【跟进提醒】{rule.label.zh}:工单 {order.number}({zh}) / "
            f"{rule.label.en}: order {order.number} ({en})"
        ),
        body={"order": order.number, "reminder": rule.code, "round": round_, "grade": order.grade},
    )
