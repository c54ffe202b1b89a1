"""The transactional outbox: notifications are written with the change they report and delivered
by a worker, once, with retries and backoff. A message is locked while it is sent, so two workers
never send the same one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from server.authz import PolicyBook
from server.db.models import OutboxMessage, RoleAssignment, User, WorkOrder
from server.db.session import TENANT, Database
from server.notifications import Notification, Sender

MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Message:
    key: str
    topic: str
    subject: str
    body: dict[str, Any]


async def put(session: AsyncSession, message: Message, recipients: set[int], now: datetime) -> int:
    """Queue one copy per recipient; a key already queued is left as it is (idempotent writers)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    written = 0
    for recipient in sorted(recipients):
        row = {
            "tenant_id": session.info[TENANT],
            "key": f"{message.key}:to:{recipient}",
            "recipient_id": recipient,
            "topic": message.topic,
            "subject": message.subject,
            "body": message.body,
            "created_at": now,
            "next_attempt_at": now,
        }
        done = await session.execute(insert(OutboxMessage).values(**row).on_conflict_do_nothing().returning(OutboxMessage.id))
        written += len(done.all())
    return written


async def recipients(session: AsyncSession, book: PolicyBook, order: WorkOrder | None, who: tuple[str, ...]) -> set[int]:
    """primary_handler, secondary_handler, managers (who may assign at the order's own dealer),
    region_managers (who may assign at its region), tenant_admins: permissions decide, not role names."""
    found: set[int] = set()
    if order is not None:
        if "primary_handler" in who and order.primary_handler_id:
            found.add(order.primary_handler_id)
        if "secondary_handler" in who and order.secondary_handler_id:
            found.add(order.secondary_handler_id)
        if "managers" in who:
            found |= await holders(session, book, "workorder.assign", RoleAssignment.org_path == order.org_path)
        if "region_managers" in who:
            found |= await tier_managers(session, book, order.org_path, "region")
    if "tenant_admins" in who:
        found |= await holders(session, book, "tenant.profile", None)
    return found


async def tier_managers(session: AsyncSession, book: PolicyBook, dealer_path: str, level: str) -> set[int]:
    """Who may assign at the tier's own node above the order: the dealer, its region, or the brand root."""
    depth = {"brand": 1, "region": 2}.get(level)
    node = dealer_path if depth is None else "/" + "/".join(dealer_path.strip("/").split("/")[:depth])
    return await holders(session, book, "workorder.assign", RoleAssignment.org_path == node)


async def holders(session: AsyncSession, book: PolicyBook, permission: str, where: Any) -> set[int]:
    query = select(RoleAssignment.user_id, RoleAssignment.role)
    rows = (await session.execute(query if where is None else query.where(where))).all()
    return {user_id for user_id, role in rows if book.allows(role, permission)}


async def due(database: Database, now: datetime, batch: int = 500) -> AsyncIterator[list[tuple[int, int]]]:
    """(tenant, message) pairs waiting to be sent, across tenants, page by page."""
    after = 0
    while True:
        async with database.platform() as session:
            query = (
                select(OutboxMessage.tenant_id, OutboxMessage.id)
                .where(OutboxMessage.delivered_at.is_(None), OutboxMessage.next_attempt_at <= now, OutboxMessage.id > after)
                .order_by(OutboxMessage.id)
                .limit(batch)
            )
            page = [(t, i) for t, i in (await session.execute(query)).all()]
        if not page:
            return
        yield page
        after = page[-1][1]


async def deliver(database: Database, tenant_id: int, message_id: int, sender: Sender, now: datetime) -> bool:
    """Send one message unless it was sent already or another worker holds it; True when sent now."""
    async with database.writer(tenant_id) as session, session.begin():
        message = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.delivered_at.is_(None))
            .with_for_update(skip_locked=True)
        )
        if message is None:
            return False
        user = await session.get(User, message.recipient_id) if message.recipient_id else None
        message.attempts += 1
        try:
            await sender.send(_notification(message, user))
        except Exception as exc:  # any adapter failure: keep the message and retry later
            message.last_error = f"{type(exc).__name__}: {exc}"[:1000]
            message.next_attempt_at = now + min(timedelta(seconds=30 * 2**message.attempts), MAX_BACKOFF)
            return False
        message.delivered_at = now
        return True


def _notification(message: OutboxMessage, user: User | None) -> Notification:
    return Notification(
        key=message.key,
        topic=message.topic,
        subject=message.subject,
        body=message.body,
        recipient=user.username if user else None,
        email=user.email if user else None,
    )
