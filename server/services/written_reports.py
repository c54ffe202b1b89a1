"""Written reports an order owes from registration (docs/rules.md#written-reports): created with
the order when its flags or demands match a rule of the profile's written_reports.yaml, each due
`target` `unit` after registration (0: at once), and the tier the rule names told at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkOrder, WrittenReport
from server.domain import sla
from server.domain.errors import TransitionNotAllowedError
from server.domain.sla import Unit
from server.services import outbox, references
from server.services.caller import Caller
from server.services.changes import changing
from server.services.tenancy import TenantRuntime


async def create_for(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, now: datetime
) -> list[str]:
    """The reports the new order owes, written and their tiers told; returns their codes for the
    registration's history."""
    profile = tenant.profile_of(order)
    calendar = tenant.calendar_of(order)
    created = []
    for rule in profile.written_reports:
        if not rule.matches(order.flags, order.demands):
            continue
        due: datetime | None = now
        if rule.target:
            due = sla.start(rule.code, rule.target, Unit(rule.unit), now, calendar, 0).due_at
        report = WrittenReport(
            work_order_id=order.id,
            code=rule.code,
            created_at=now,
            due_at=due,
            escalated_to=rule.escalate_to,
        )
        session.add(report)
        tier = profile.tiers[rule.escalate_to]
        message = outbox.Message(
            key=f"written-report:{order.id}:{rule.code}",
            topic="workorder.written_report",
            subject=(
                f"【书面报告】工单 {order.number}：{rule.label.zh} / "
                f"order {order.number}: {rule.label.en}"
            ),
            body={
                "order": order.number,
                "report": rule.code,
                "tier": rule.escalate_to,
                "due_at": due.isoformat() if due else None,
            },
        )
        recipients = await outbox.tier_managers(session, tenant.book, order.org_path, tier.level)
        await outbox.put(session, message, recipients, now)
        created.append(rule.code)
    return created


async def submit(caller: Caller, report_id: int, expected_version: int) -> WorkOrder:
    """submitWrittenReport: the handler has sent the report; once, with the order's history."""
    async with caller.db.read() as session:
        order_id = (
            await references.resolve(session, caller, references.WRITTEN_REPORT, report_id)
        ).work_order_id
    async with changing(caller, order_id, expected_version) as change:
        caller.authz.require("workorder.handle", change.order.org_path)
        report = await change.session.get(WrittenReport, report_id, with_for_update=True)
        assert report is not None  # found above, and a report is never deleted
        if report.submitted_at is not None:
            raise TransitionNotAllowedError(
                change.order.state, "submitWrittenReport", reason="the report is submitted already"
            )
        report.submitted_at, report.submitted_by_id = change.now, caller.user_id
        await change.record("written_report_submitted", data={"report": report.code})
    return change.order


async def by_orders(caller: Caller, order_ids: Sequence[int]) -> list[list[WrittenReport]]:
    """Each order's rows, oldest first (the order's loader: the orders are the caller's already)."""
    query = (
        select(WrittenReport)
        .where(WrittenReport.work_order_id.in_(set(order_ids)))
        .order_by(WrittenReport.id)
    )
    async with caller.db.read() as session:
        rows = (await session.scalars(query)).all()
    groups: dict[int, list[WrittenReport]] = {i: [] for i in order_ids}
    for row in rows:
        groups[row.work_order_id].append(row)
    return [groups[i] for i in order_ids]
