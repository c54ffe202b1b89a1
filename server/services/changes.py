"""The one way a use case takes an order for changing: visible to the caller, at the version they
read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Unpack

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from server.db.models import WorkOrder
from server.domain.errors import ConflictError
from server.services import references
from server.services.caller import Caller
from server.services.history import Details, record


@dataclass
class Change:
    session: AsyncSession
    order: WorkOrder
    now: datetime
    caller: Caller

    async def record(self, kind: str, **details: Unpack[Details]) -> None:
        self.order.updated_at = self.now
        await record(self.session, self.order, self.caller.user_id, self.now, kind, **details)


@asynccontextmanager
async def changing(
    caller: Caller, order_id: int, expected_version: int | None
) -> AsyncIterator[Change]:
    """Yields the locked order; an order the caller may not read is NotFound, exactly like a missing
    one. Without an expected version (only for purely additive changes, such as logging a customer's
    call) the change applies to whatever version is current."""
    try:
        async with caller.db.write() as session:
            order = await references.resolve(session, caller, references.ORDER, order_id, lock=True)
            if expected_version is not None and order.version != expected_version:
                raise ConflictError(expected_version, order.version)
            expected_version = order.version
            order.version += 1
            yield Change(session, order, caller.clock(), caller)
    except StaleDataError as exc:  # a concurrent writer committed between our read and our update
        assert expected_version is not None  # set from the order before anything is flushed
        raise ConflictError(expected_version, expected_version + 1) from exc
