"""The append-only history of a work order. Every use case that changes an order writes its event
through here, in the same transaction as the change; once that transaction commits, the events
go out to live subscribers (server/events.py), and never if it rolls back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server import events
from server.db.models import WorkOrder, WorkOrderEvent

_WRITTEN = "complaintdesk.history.written"


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
    session.info.setdefault(_WRITTEN, []).append((order, event))
    return event


@orm_event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    written = session.info.pop(_WRITTEN, None)
    if written:
        events.publish_soon([_live(order, event) for order, event in written])


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous: Any) -> None:
    session.info.pop(_WRITTEN, None)


def _live(order: WorkOrder, event: WorkOrderEvent) -> events.OrderEvent:
    return events.OrderEvent(
        tenant_id=order.tenant_id,
        event_id=event.id,
        order_id=order.id,
        number=order.number,
        org_path=order.org_path,
        state=order.state,
        version=order.version,
        kind=event.kind,
        at=event.at,
        from_state=event.from_state,
        to_state=event.to_state,
    )
