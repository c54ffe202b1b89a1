"""The append-only history of a work order. Every use case that changes an order writes its event
through here, in the same transaction as the change; once that transaction commits, the events
go out to live subscribers on the database's bus (server/adapters/events.py), and never if it
rolls back.

Events are inserted at once, as rows rather than ORM objects: the deadline scan writes thousands
per tick, and a unit-of-work object per event cost more Python than the rest of its batch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypedDict

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from server.adapters import events
from server.db import upsert
from server.db.models import WorkOrderEvent
from server.db.session import EVENTS

_WRITTEN = "complaintdesk.history.written"


class Order(Protocol):
    """What an event needs of its order: a WorkOrder, or the columns the deadline scan reads."""

    id: int
    tenant_id: int
    number: str
    org_path: str
    state: str
    version: int


@dataclass(frozen=True)
class Event:
    order: Order
    actor_id: int | None  # None: the system (deadline scan)
    at: datetime
    kind: str
    transition: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    comment: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


class Details(TypedDict, total=False):
    """The keywords of `record` past the event's kind, for callers that pass them on."""

    transition: str | None
    from_state: str | None
    to_state: str | None
    comment: str | None
    data: dict[str, Any] | None


async def record(
    session: AsyncSession,
    order: Order,
    actor_id: int | None,
    at: datetime,
    kind: str,
    *,
    transition: str | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    comment: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    await record_all(
        session,
        [Event(order, actor_id, at, kind, transition, from_state, to_state, comment, data or {})],
    )


async def record_all(session: AsyncSession, written: Sequence[Event]) -> None:
    """Appends the events with one INSERT. Each order must be stored already (it has its id)."""
    if not written:
        return
    table = WorkOrderEvent.__table__
    rows = [
        {
            "tenant_id": e.order.tenant_id,
            "work_order_id": e.order.id,
            "at": e.at,
            "actor_id": e.actor_id,
            "kind": e.kind,
            "transition": e.transition,
            "from_state": e.from_state,
            "to_state": e.to_state,
            "comment": e.comment,
            "data": e.data,
        }
        for e in written
    ]
    statement, parameters = upsert.insert_many(session, table, rows)
    # On the connection, not the session: no autoflush of the use case's pending changes first.
    connection = await session.connection()
    ids = sorted(
        (await connection.execute(statement.returning(table.c.id), parameters)).scalars()
    )  # ascend in row order
    session.info.setdefault(_WRITTEN, []).extend(zip(ids, written, strict=True))


@orm_event.listens_for(Session, "after_commit")
def _publish_committed(session: Session) -> None:
    written = session.info.pop(_WRITTEN, None)
    if written:
        session.info[EVENTS].publish_soon([_live(event_id, event) for event_id, event in written])


@orm_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, _previous: Any) -> None:
    session.info.pop(_WRITTEN, None)


def _live(event_id: int, event: Event) -> events.OrderEvent:
    order = event.order  # as the transaction left it: its state and version after the change
    return events.OrderEvent(
        tenant_id=order.tenant_id,
        event_id=event_id,
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
