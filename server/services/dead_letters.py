"""Dead outbox messages (server/services/outbox.py): a tenant admin holding outbox.manage lists
them and sends them back to delivery; the platform operator does the same from the command line.
A retried message starts the retry policy afresh."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import OutboxMessage
from server.db.session import Database
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.services.caller import Caller
from server.services.queries import MAX_PAGE

PERMISSION = "outbox.manage"


@dataclass
class DeadPage:
    messages: list[OutboxMessage]
    has_next: bool


async def list_dead(caller: Caller, first: int, after: int | None) -> DeadPage:
    """The tenant's dead messages, newest first, after the message `after`; needs outbox.manage."""
    _require(caller)
    if not 0 < first <= MAX_PAGE:
        problem = FieldProblem(("first",), f"ask for 1 to {MAX_PAGE} messages a page")
        raise InvalidInputError([problem])
    async with caller.db.read() as session:
        return await _page(session, first, after)


async def retry_dead(caller: Caller, message_id: int | None, every: bool) -> int:
    """Sends one dead message (or every one, `every`) back to delivery; needs outbox.manage.
    Returns how many; an id that is not a dead message of the tenant is NotFound."""
    _require(caller)
    if (message_id is None) == (not every):
        problem = "give the id of one dead message or all: true, not both"
        raise InvalidInputError([FieldProblem(("all",) if every else ("id",), problem)])
    async with caller.db.write() as session:
        return await _retry(session, message_id, caller.clock())


async def dead_of(database: Database, tenant_id: int, *, first: int, after: int | None) -> DeadPage:
    """list_dead for the platform operator (the command line), who holds no grant in the tenant."""
    async with database.reader(tenant_id) as session:
        return await _page(session, first, after)


async def retry_of(
    database: Database, tenant_id: int, message_id: int | None, *, now: datetime
) -> int:
    """retry_dead for the platform operator; None retries every dead message of the tenant."""
    async with database.writer(tenant_id) as session, session.begin():
        return await _retry(session, message_id, now)


def _require(caller: Caller) -> None:
    # The outbox is the tenant's, not a unit's: only a grant at the brand root covers it.
    caller.authz.require(PERMISSION, f"/{caller.tenant.slug}")


async def _page(session: AsyncSession, first: int, after: int | None) -> DeadPage:
    query = select(OutboxMessage).where(OutboxMessage.dead_at.is_not(None))
    if after is not None:
        query = query.where(OutboxMessage.id < after)
    rows = list(await session.scalars(query.order_by(OutboxMessage.id.desc()).limit(first + 1)))
    return DeadPage(rows[:first], len(rows) > first)


async def _retry(session: AsyncSession, message_id: int | None, now: datetime) -> int:
    dead = OutboxMessage.dead_at.is_not(None)
    chosen = dead if message_id is None else dead & (OutboxMessage.id == message_id)
    statement = (
        update(OutboxMessage)
        .where(chosen)
        .values(dead_at=None, attempts=0, next_attempt_at=now)
        .returning(OutboxMessage.id)
    )
    retried = len((await session.execute(statement)).all())
    if message_id is not None and not retried:
        raise NotFoundError("dead outbox message", str(message_id))
    return retried
