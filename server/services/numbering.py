"""Human work-order numbers: <prefix>-<local date>-<5-digit sequence>, unique per tenant, never
reused."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import NumberSequence
from server.db.session import TENANT


async def next_number(session: AsyncSession, prefix: str, timezone: str, at: datetime) -> str:
    day = at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d")
    # One upsert: concurrent registrations queue on the row, none can read the same value.
    value = await session.scalar(
        upsert.insert(session, NumberSequence)
        .values(tenant_id=session.info[TENANT], day=day, value=1)
        .on_conflict_do_update(
            index_elements=["day", "tenant_id"], set_={"value": NumberSequence.value + 1}
        )
        .returning(NumberSequence.value)
    )
    return f"{prefix}-{day}-{value:05d}"
