"""Tracking reminders (tracking.yaml `reminders`): an open order of a grade the profile tracks
reminds the holders of the reminder's role at its cadence until it is closed or cancelled (e.g.
an important complaint daily, a general one weekly). Run by the scheduler; each round of each
order is keyed in the outbox, so a retry, a duplicate tick or two workers send it once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from server.db.models import Tenant, WorkOrder
from server.db.session import Database
from server.domain.handling import Reminder, reminder_round
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
        due: list[tuple[_Open, Reminder, int]] = []
        for order in orders:
            if tenant.state_of(order).final:
                continue
            for rule in tenant.profile_of(order).tracking.reminders:
                n = reminder_round(order.registered_at, now, rule.every)
                if order.grade in rule.grades and n >= 1:
                    due.append((order, rule, n))
        wanted = [(order.org_path, (rule.role,)) for order, rule, _ in due]
        holders = await duties.role_holders(session, wanted)
        messages = [
            (_message(order, rule, n), people)
            for (order, rule, n), people in zip(due, holders, strict=True)
        ]
        report.orders += len(due)
        report.notifications += await outbox.put_many(session, messages, now)


def _message(order: _Open, rule: Reminder, n: int) -> outbox.Message:
    return outbox.Message(
        key=f"tracking:{order.id}:{rule.code}:{n}",
        topic="workorder.tracking",
        subject=(
            f"【跟进提醒】{rule.label.zh}:工单 {order.number}(第 {n} 次) / "
            f"{rule.label.en}: order {order.number} (round {n})"
        ),
        body={"order": order.number, "reminder": rule.code, "round": n, "grade": order.grade},
    )
