"""A KPI statement's lines: counts per dealer and KPI aggregated in SQL from the order outcomes
and the adjustments carried in, then summed up to each region and the brand."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import KpiAdjustment, KpiOrderOutcome, KpiStatement, KpiStatementLine
from server.domain.kpi import COUNTED, ZERO, Outcome, Tally
from server.services.tenancy import TenantRuntime


async def write_lines(
    session: AsyncSession, tenant: TenantRuntime, statement: KpiStatement
) -> None:
    """Dealer lines from the outcomes and the adjustments carried in, then their regions' and
    the brand's sums."""
    o = KpiOrderOutcome
    counted = await session.execute(
        select(
            o.org_unit_id,
            o.kpi,
            func.count(),
            *(func.sum(case((o.outcome == value.value, 1), else_=0)) for value in COUNTED),
        )
        .where(o.tenant_id == tenant.tenant_id, o.statement_id == statement.id)
        .group_by(o.org_unit_id, o.kpi)
    )
    tallies: dict[tuple[int, str], Tally] = {}
    for unit, kpi, population, timely, not_timely, pending in counted.all():
        tallies[(unit, kpi)] = Tally(population, int(timely), int(not_timely), int(pending))
    a = KpiAdjustment
    carried = await session.execute(
        select(
            a.org_unit_id,
            a.kpi,
            func.sum(_signed(a, Outcome.TIMELY)),
            func.sum(_signed(a, Outcome.NOT_TIMELY)),
        )
        .where(a.tenant_id == tenant.tenant_id, a.period == statement.period)
        .group_by(a.org_unit_id, a.kpi)
    )
    for unit, kpi, timely, not_timely in carried.all():
        # A pending order stays counted as such in its own month's line; settling it counts here.
        adjusted = Tally(
            0, 0, 0, 0, adjusted_timely=int(timely), adjusted_not_timely=int(not_timely)
        )
        tallies[(unit, kpi)] = tallies.get((unit, kpi), ZERO) + adjusted
    rows = []
    for (unit_id, kpi), tally in _with_ancestors(tenant, tallies).items():
        unit = tenant.units[unit_id]
        rows.append(
            KpiStatementLine(
                statement_id=statement.id,
                org_unit_id=unit_id,
                org_path=unit.path,
                level=unit.kind,
                kpi=kpi,
                population=tally.population,
                timely=tally.timely,
                not_timely=tally.not_timely,
                pending=tally.pending,
                adjusted_timely=tally.adjusted_timely,
                adjusted_not_timely=tally.adjusted_not_timely,
            )
        )
    session.add_all(rows)
    await session.flush()


def _signed(a: Any, value: Outcome) -> Any:
    to = case((a.to_outcome == value.value, 1), else_=0)
    return to - case((a.from_outcome == value.value, 1), else_=0)


def _with_ancestors(
    tenant: TenantRuntime, tallies: dict[tuple[int, str], Tally]
) -> dict[tuple[int, str], Tally]:
    """Each dealer's tallies, and their sums at every region and brand above it."""
    by_path = {unit.path: unit.id for unit in tenant.units.values()}
    out = dict(tallies)
    for (unit_id, kpi), tally in tallies.items():
        for ancestor in _ancestors(tenant.units[unit_id].path, by_path):
            out[(ancestor, kpi)] = out.get((ancestor, kpi), ZERO) + tally
    return out


def _ancestors(path: str, by_path: dict[str, int]) -> Iterable[int]:
    parts = path.split("/")
    for end in range(2, len(parts)):
        ancestor = by_path.get("/".join(parts[:end]))
        if ancestor is not None:
            yield ancestor
