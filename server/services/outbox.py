"""The transactional outbox: notifications are written with the change they report and delivered
by a worker, at least once, with retries and backoff as the retry policy says
(server/domain/retry.py). A message whose last attempt failed is dead: kept, never retried
automatically nor purged, until an admin retries it (server/services/dead_letters.py).

A message is locked while it is sent and marked delivered in the same transaction, so duplicate or
concurrent jobs send it once. Only when a worker dies between handing it over and that commit is
the outcome unknown: the message stays owed and is sent again, with the same key, which every
adapter passes on (Idempotency-Key, Message-ID) so the receiver drops the repeat
(docs/operations.md#delivery)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import CursorResult, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.adapters.notifications import Notification, Sender
from server.db import upsert
from server.db.among import among
from server.db.models import OutboxMessage, RoleAssignment, User, WorkOrder
from server.db.session import TENANT, Database
from server.domain.retry import RetryPolicy
from server.security.authz import PolicyBook


@dataclass(frozen=True)
class Message:
    key: str
    topic: str
    subject: str
    body: dict[str, Any]


async def put(session: AsyncSession, message: Message, recipients: set[int], now: datetime) -> int:
    """Queue one copy per recipient; a key already queued is left as it is (idempotent writers)."""
    return await put_many(session, [(message, recipients)], now)


async def put_many(
    session: AsyncSession, messages: Sequence[tuple[Message, set[int]]], now: datetime
) -> int:
    """put() for many messages in one statement (per 1,000 rows), for the deadline scan's batches;
    returns how many copies were new."""
    rows = [
        {
            "tenant_id": session.info[TENANT],
            "key": f"{message.key}:to:{recipient}",
            "recipient_id": recipient,
            "topic": message.topic,
            "subject": message.subject,
            "body": message.body,
            "created_at": now,
            "next_attempt_at": now,
        }
        for message, recipients in messages
        for recipient in sorted(recipients)
    ]
    if not rows:
        return 0
    # The table, not the mapped class: the ORM's bulk-insert bookkeeping costs more than the
    # statement.
    table = OutboxMessage.__table__
    statement, parameters = upsert.insert_many(session, table, rows)
    done = await session.execute(
        statement.on_conflict_do_nothing().returning(table.c.id), parameters
    )
    return len(done.all())


class Addressed(Protocol):
    """Whom an order's notices go to: a WorkOrder, or the columns the deadline scan reads."""

    org_path: str
    department: str | None
    primary_handler_id: int | None
    secondary_handler_id: int | None


def dealer_nodes(order: Addressed) -> tuple[str, ...]:
    """Where an order's managers sit: its dealer, and its department when routed to one
    (migration 0017), so the dealer's managers and GM keep hearing of it."""
    if order.department is None:
        return (order.org_path,)
    return (order.org_path, order.org_path.rsplit("/", 1)[0])


async def recipients(
    session: AsyncSession, book: PolicyBook, order: WorkOrder | None, who: tuple[str, ...]
) -> set[int]:
    """primary_handler, secondary_handler, managers (who may assign at the order's own dealer or
    department), region_managers (who may assign at its region), tenant_admins: permissions
    decide, not role names."""
    if order is None:
        return (
            await holders(session, book, "tenant.profile", None)
            if "tenant_admins" in who
            else set()
        )
    return (await recipients_of(session, book, [order], who))[0]


async def recipients_of(
    session: AsyncSession, book: PolicyBook, orders: Sequence[Addressed], who: tuple[str, ...]
) -> list[set[int]]:
    """recipients() of each order, with one look-up of the role holders at all their nodes."""
    nodes = set()
    if "managers" in who:
        nodes |= {node for order in orders for node in dealer_nodes(order)}
    if "region_managers" in who:
        nodes |= {tier_node(order.org_path, "region") for order in orders}
    assigners = await holders_at(session, book, "workorder.assign", nodes) if nodes else {}
    admins = (
        await holders(session, book, "tenant.profile", None) if "tenant_admins" in who else set()
    )
    found = []
    for order in orders:
        mine = set(admins)
        if "primary_handler" in who and order.primary_handler_id:
            mine.add(order.primary_handler_id)
        if "secondary_handler" in who and order.secondary_handler_id:
            mine.add(order.secondary_handler_id)
        if "managers" in who:
            for node in dealer_nodes(order):
                mine |= assigners.get(node, set())
        if "region_managers" in who:
            mine |= assigners.get(tier_node(order.org_path, "region"), set())
        found.append(mine)
    return found


async def tier_managers(
    session: AsyncSession, book: PolicyBook, dealer_path: str, level: str
) -> set[int]:
    """Who may assign at the tier's own node above the order: the dealer, its region, or the brand
    root."""
    return await holders(
        session, book, "workorder.assign", RoleAssignment.org_path == tier_node(dealer_path, level)
    )


def tier_node(dealer_path: str, level: str) -> str:
    depth = {"brand": 1, "region": 2}.get(level)
    return (
        dealer_path if depth is None else "/" + "/".join(dealer_path.strip("/").split("/")[:depth])
    )


async def holders_at(
    session: AsyncSession, book: PolicyBook, permission: str, nodes: set[str]
) -> dict[str, set[int]]:
    """holders() at each of these nodes, in one query."""
    query = select(RoleAssignment.org_path, RoleAssignment.user_id, RoleAssignment.role).where(
        among(session, RoleAssignment.org_path, nodes)
    )
    found: dict[str, set[int]] = {}
    for path, user_id, role in (await session.execute(query)).all():
        if book.allows(role, permission):
            found.setdefault(path, set()).add(user_id)
    return found


async def holders(session: AsyncSession, book: PolicyBook, permission: str, where: Any) -> set[int]:
    query = select(RoleAssignment.user_id, RoleAssignment.role)
    rows = (await session.execute(query if where is None else query.where(where))).all()
    return {user_id for user_id, role in rows if book.allows(role, permission)}


async def due(
    database: Database, now: datetime, batch: int = 500
) -> AsyncIterator[list[tuple[int, int]]]:
    """(tenant, message) pairs waiting to be sent, across tenants, page by page; dead ones wait for
    an admin."""
    after = 0
    while True:
        async with database.platform() as session:
            query = (
                select(OutboxMessage.tenant_id, OutboxMessage.id)
                .where(
                    OutboxMessage.delivered_at.is_(None),
                    OutboxMessage.dead_at.is_(None),
                    OutboxMessage.next_attempt_at <= now,
                    OutboxMessage.id > after,
                )
                .order_by(OutboxMessage.id)
                .limit(batch)
            )
            page = [(t, i) for t, i in (await session.execute(query)).all()]
        if not page:
            return
        yield page
        after = page[-1][1]


async def purge(database: Database, before: datetime, batch: int = 5000) -> int:
    """Deletes the messages of every tenant delivered before `before`, a batch per transaction, so
    the table (and the unique index every new message is checked against) holds what is owed and
    recent history only; returns how many went. Undelivered messages, dead ones included, stay
    whatever their age."""
    removed = 0
    while True:
        async with database.platform() as session, session.begin():
            old = select(OutboxMessage.id).where(OutboxMessage.delivered_at < before).limit(batch)
            done = await session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(old)))
            gone = cast(CursorResult[Any], done).rowcount  # a DELETE answers a CursorResult
        removed += gone
        if gone < batch:
            return removed


async def deliver(
    database: Database,
    tenant_id: int,
    message_id: int,
    *,
    sender: Sender,
    now: datetime,
    policy: RetryPolicy,
) -> bool:
    """Send one message unless it was sent already, is dead or another worker holds it; True when
    sent now. A failure is tried again after the policy's delay, or makes the message dead."""
    async with database.writer(tenant_id) as session, session.begin():
        message = await session.scalar(
            select(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.delivered_at.is_(None),
                OutboxMessage.dead_at.is_(None),
            )
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
            if policy.exhausted(message.attempts):
                message.dead_at = now
            else:
                message.next_attempt_at = now + policy.delay(message.attempts)
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


async def backlog(database: Database, now: datetime) -> tuple[int, float]:
    """What is owed across tenants, for the operator's metrics: the messages not yet delivered
    (dead ones aside: they wait for an admin) and the age in seconds of the oldest (0: none)."""
    owed = OutboxMessage.delivered_at.is_(None), OutboxMessage.dead_at.is_(None)
    async with database.platform() as session:
        count, oldest = (
            await session.execute(
                select(func.count(), func.min(OutboxMessage.created_at)).where(*owed)
            )
        ).one()
    return int(count), max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0
