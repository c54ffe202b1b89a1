"""The append-only history of a work order. Every use case that changes an order writes its event
through here, in the same transaction as the change."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkOrder, WorkOrderEvent


def record(
    session: AsyncSession,
    order: WorkOrder,
    actor_id: int | None,
    at: datetime,
    kind: str,
    *,
    transition: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> WorkOrderEvent:
    event = WorkOrderEvent(
        work_order_id=order.id,
        at=at,
        actor_id=actor_id,
        kind=kind,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        comment=comment,
        data=data or {},
    )
    session.add(event)
    return event
