"""The customer access log: unmasked reads of customers by the people whose reads the tenant's
policy logs (customer.pii.logged), appended once per request and read by the tenant admin."""

from __future__ import annotations

from sqlalchemy import select

from server.db.models import CustomerAccess
from server.domain.errors import FieldProblem, InvalidInputError
from server.services.caller import Caller

PAGE_MAX = 100  # as every page of the API


async def record(caller: Caller) -> None:
    """Appends the reads this request revealed (caller.revealed) in one transaction, then forgets
    them, so a caller that lives on (a WebSocket) records each read once."""
    if not caller.revealed:
        return
    reads, caller.revealed = sorted(caller.revealed, key=str), set()
    now = caller.clock()
    async with caller.db.write() as session:
        session.add_all(
            CustomerAccess(at=now, user_id=caller.user_id, customer_id=c, work_order_id=o)
            for c, o in reads
        )


async def latest(caller: Caller, first: int) -> list[CustomerAccess]:
    """The latest logged reads, newest first: customer.access.read at the tenant's root."""
    caller.authz.require("customer.access.read", f"/{caller.tenant.slug}")
    if not 0 < first <= PAGE_MAX:
        raise InvalidInputError([FieldProblem(("first",), f"ask for 1 to {PAGE_MAX} a page")])
    statement = select(CustomerAccess).order_by(CustomerAccess.id.desc()).limit(first)
    async with caller.db.read() as session:
        return list((await session.scalars(statement)).all())
