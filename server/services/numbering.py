"""Human work-order numbers: <prefix>-<local date>-<5-digit sequence>, unique per tenant, never
reused."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import NumberSequence
from server.db.session import TENANT


async def next_number(session: AsyncSession, prefix: str, timezone: str, at: datetime) -> str:
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    # One upsert: concurrent registrations queue on the row, none can read the same value.
    statement = upsert.made_once(upsert.dialect_of(session), "next number", _next_value)
    row = {"tenant_id": session.info[TENANT], "day": day, "value": 1}
    value = await session.scalar(statement, row)
    return f"{prefix}-{day}-{value:05d}"


def _next_value(insert: Callable[[Any], Any]) -> Any:
    return (
        insert(NumberSequence)
        .on_conflict_do_update(
            index_elements=["day", "tenant_id"], set_={"value": NumberSequence.value + 1}
        )
        .returning(NumberSequence.value)
    )
