"""Immediate notices at registration from the profile's alert rules (e.g. a demand for
a refund, a replacement or large compensation goes to the dealer's manager and the region at
once)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkOrder
from server.services import outbox
from server.services.tenancy import TenantRuntime


async def raise_for(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, now: datetime
) -> None:
    for index, rule in enumerate(tenant.profile.alerts_for(order.flags, order.demands)):
        message = outbox.Message(
            key=f"alert:{order.id}:{index}",
            topic="workorder.alert",
            subject=(
                f"【立即关注】工单 {order.number}：{rule.reason.zh} / "
                f"order {order.number}: {rule.reason.en}"
            ),
            body={
                "order": order.number,
                "reason": rule.reason.en,
                "demands": order.demands,
                "flags": order.flags,
            },
        )
        recipients = await outbox.recipients(session, tenant.book, order, rule.notify)
        await outbox.put(session, message, recipients, now)
