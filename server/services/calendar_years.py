"""Loading a year's statutory calendar (or correcting one), and computing the deadlines that waited
for it."""

from __future__ import annotations

from sqlalchemy import select

from server.db.models import Tenant
from server.db.session import Database
from server.domain.calendar import DayRules
from server.services import calendars, clocks, tenancy


async def load_years(database: Database, tenant_id: int, rules: DayRules, source: str) -> int:
    """Store the days of rules.known_years; returns how many clocks got a deadline they lacked."""
    async with database.writer(tenant_id) as session, session.begin():
        await calendars.store_days(session, tenant_id, rules, source)
        await calendars.bump_runtime(session, tenant_id)
    async with database.platform() as session:
        version = await session.scalar(select(Tenant.policy_version).where(Tenant.id == tenant_id))
    tenant = await tenancy.runtime(database, tenant_id, version or 0)
    async with database.writer(tenant_id) as session, session.begin():
        return await clocks.reschedule_missing(session, tenant, rules.known_years)
