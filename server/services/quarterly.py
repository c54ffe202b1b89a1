"""The quarterly assessment started by the scheduler (issue 13, Deliver 5): which tenants' last
quarter is due, at their profile's day and hour (kpis.yaml `assessment`) in their timezone, and
issuing it without a person. The assessment itself is server/services/assessment.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from server.db.models import KpiStatement, Tenant
from server.db.session import Database
from server.domain.kpi import Quarter
from server.services import assessment, reconciliation
from server.services.tenancy import runtime


async def due(database: Database, now: datetime) -> list[tuple[int, str]]:
    """(tenant, quarter) for each tenant whose last quarter is over, past its profile's
    assessment day and hour, its three months reconciled, and not assessed yet: what the
    scheduler's hourly tick starts."""
    async with database.platform() as session:
        tenants = (await session.execute(select(Tenant.id, Tenant.policy_version))).all()
        issued = set(
            (
                await session.execute(
                    select(KpiStatement.tenant_id, KpiStatement.kind, KpiStatement.period)
                )
            ).all()
        )
    out = []
    for tenant_id, version in tenants:
        profile = (await runtime(database, tenant_id, version)).profile
        rules = profile.kpi_rules
        if rules is None or rules.assessment is None or rules.incentive is None:
            continue
        last = Quarter.of(now, profile.timezone).previous()
        if (tenant_id, assessment.QUARTERLY, str(last)) in issued:
            continue
        # A month not reconciled (not due yet, or before the tenant existed) holds it back.
        months = all((tenant_id, reconciliation.MONTHLY, str(m)) in issued for m in last.months)
        if months and last.run_at(rules.assessment, profile.timezone) <= now:
            out.append((tenant_id, str(last)))
    return out


async def assess(database: Database, tenant_id: int, quarter: str, *, now: datetime) -> bool:
    """Issues `quarter`'s finance statement for the scheduler; False if it was issued already.
    Deliveries not imported are the InvalidInputError naming the dealers, nothing written."""
    tenant = await assessment.tenant_runtime(database, tenant_id)
    async with database.writer(tenant_id) as session, session.begin():
        return await assessment.issue_once(session, tenant, Quarter.parse(quarter), now=now)
