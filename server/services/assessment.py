"""The quarterly assessment (issue 13, Deliver 5; DOMAIN.md Part I.8, §8.1): each dealer's score
from its lines in the quarter's three monthly statements (the adjustments carried into them
included), ranked within its region with ties broken by the quarter's vehicle deliveries, rewards
for the top and penalties under the threshold, frozen as the quarter's finance statement (a
KpiStatement of kind quarterly and its kpi_ranking_lines, which migration 0013 freezes).

Deliveries are imported per dealer code for a quarter (GraphQL and a CSV through the CLI); every
bad row is reported at once, with its row and column, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import (
    KpiDelivery,
    KpiRankingLine,
    KpiStatement,
    KpiStatementLine,
    OrgUnit,
    Tenant,
)
from server.db.session import Database
from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.domain.kpi import (
    Assessed,
    KpiRules,
    PeriodError,
    Quarter,
    Ranked,
    Tally,
    rank,
    rate,
    score,
)
from server.domain.tree import covers
from server.services import reconciliation, references
from server.services.caller import Caller
from server.services.queries import subtree, visible
from server.services.statements import READ
from server.services.tenancy import TenantRuntime, runtime

QUARTERLY = "quarterly"
REGION: references.Kind[OrgUnit] = references.Kind(
    "region", OrgUnit.id, select(OrgUnit, OrgUnit.path).where(OrgUnit.kind == "region"), (READ,)
)


@dataclass(frozen=True)
class DeliveryRow:
    """One row of an import as sent: a dealer's code and its deliveries, as written."""

    dealer: str
    deliveries: str


@dataclass(frozen=True)
class Ranking:
    quarter: str
    statement_id: int | None  # the finance statement; None: not assessed yet, figures as of now
    lines: list[Ranked]
    currency: str


async def import_deliveries(caller: Caller, quarter: str, rows: Sequence[DeliveryRow]) -> int:
    caller.authz.require("kpi.reconcile", f"/{caller.tenant.slug}")
    return await store_deliveries(
        caller.db.database,
        caller.tenant.tenant_id,
        quarter,
        rows,
        now=caller.clock(),
        by=caller.user_id,
    )


async def store_deliveries(
    database: Database,
    tenant_id: int,
    quarter: str,
    rows: Sequence[DeliveryRow],
    *,
    now: datetime,
    by: int | None = None,
) -> int:
    """Stores each dealer's deliveries for `quarter` (replacing an earlier import's figure);
    the rows' problems, all of them, as one InvalidInputError with paths ("rows", index, column)."""
    tenant = await tenant_runtime(database, tenant_id)
    dealers = {u.code: u.id for u in tenant.units.values() if u.kind == "dealer"}
    problems: list[FieldProblem] = []
    parsed = _quarter(quarter, problems)
    if not rows:
        problems.append(FieldProblem(("rows",), "give at least one dealer's deliveries"))
    seen: dict[str, int] = {}
    values = []
    for index, row in enumerate(rows):
        at = ("rows", str(index))
        if row.dealer not in dealers:
            problems.append(
                FieldProblem((*at, "dealer"), f"no dealer with the code {row.dealer!r}")
            )
        elif row.dealer in seen:
            message = f"{row.dealer!r} appears again: first in row {seen[row.dealer]}"
            problems.append(FieldProblem((*at, "dealer"), message))
        else:
            seen[row.dealer] = index
        count = bounds.whole_number(row.deliveries.strip(), bounds.INTEGER_MAX)
        if count is None:
            message = f"{row.deliveries!r} is not a whole number of vehicles from 0"
            problems.append(FieldProblem((*at, "deliveries"), message))
        elif row.dealer in dealers:
            values.append({"org_unit_id": dealers[row.dealer], "deliveries": count})
    async with database.writer(tenant_id) as session, session.begin():
        await reconciliation.lock_tenant(session, tenant_id)
        if parsed is not None and await session.scalar(_statement(str(parsed))) is not None:
            message = f"{parsed} is assessed: its finance statement keeps the figures it ranked by"
            problems.append(FieldProblem(("quarter",), message))
        if problems:
            raise InvalidInputError(problems)
        assert parsed is not None
        for value in values:
            statement = upsert.insert(session, KpiDelivery.__table__).values(
                tenant_id=tenant_id,
                quarter=str(parsed),
                imported_at=now,
                imported_by_id=by,
                **value,
            )
            await session.execute(
                statement.on_conflict_do_update(
                    index_elements=["tenant_id", "quarter", "org_unit_id"],
                    set_={
                        "deliveries": value["deliveries"],
                        "imported_at": now,
                        "imported_by_id": by,
                    },
                )
            )
    return len(values)


async def ranking(caller: Caller, quarter: str, region_id: int | None = None) -> Ranking:
    """The quarter's ranking where the caller reads KPIs (in `region_id` if given): as frozen in
    its finance statement once assessed, else as the statements and deliveries give it now."""
    if not caller.authz.scopes(READ):
        raise NotFoundError("quarterly ranking", quarter)
    problems: list[FieldProblem] = []
    parsed = _quarter(quarter, problems)
    if problems:
        raise InvalidInputError(problems)
    assert parsed is not None
    incentive = _rules(caller.tenant).incentive
    assert incentive is not None
    async with caller.db.read() as session:
        where = visible(caller, READ, KpiRankingLine.org_path)
        within = f"/{caller.tenant.slug}"
        if region_id is not None:
            region = await references.find(session, caller, REGION, region_id)
            if region is None:
                raise references.missing(REGION, region_id, "regionId")
            within = region.path
            where = where & subtree(region.path, KpiRankingLine.org_path)
        issued = await session.scalar(_statement(str(parsed)))
        if issued is None:
            units = caller.tenant.units
            shown = [
                r
                for r in await _assess(session, caller.tenant, parsed)
                if covers(within, units[r.dealer].path)
                and caller.authz.check(READ, units[r.dealer].path)
            ]
            return Ranking(str(parsed), None, shown, incentive.currency)
        lines = await session.scalars(
            select(KpiRankingLine)
            .where(KpiRankingLine.statement_id == issued.id, where)
            .order_by(KpiRankingLine.region_id, KpiRankingLine.rank, KpiRankingLine.org_unit_id)
        )
        return Ranking(
            str(parsed), issued.id, [_ranked(line) for line in lines.all()], incentive.currency
        )


async def assess_quarter(caller: Caller, quarter: str) -> Ranking:
    """Issues the quarter's finance statement once (a second run finds it) and answers it."""
    caller.authz.require("kpi.reconcile", f"/{caller.tenant.slug}")
    tenant = caller.tenant
    problems: list[FieldProblem] = []
    parsed = _quarter(quarter, problems)
    if problems:
        raise InvalidInputError(problems)
    assert parsed is not None
    incentive = _rules(tenant).incentive
    assert incentive is not None
    async with caller.db.write() as session:
        await issue_once(session, tenant, parsed, now=caller.clock(), by=caller.user_id)
    return await ranking(caller, quarter)


async def issue_once(
    session: AsyncSession,
    tenant: TenantRuntime,
    quarter: Quarter,
    *,
    now: datetime,
    by: int | None = None,
) -> bool:
    """Issues the quarter's finance statement unless it is (False): runs of one tenant queue
    behind its lock, so two at once, or a message delivered twice, issue one."""
    await reconciliation.lock_tenant(session, tenant.tenant_id)
    if await session.scalar(_statement(str(quarter))) is not None:
        return False
    await _issue(session, tenant, quarter, now=now, by=by)
    return True


async def _issue(
    session: AsyncSession,
    tenant: TenantRuntime,
    quarter: Quarter,
    *,
    now: datetime,
    by: int | None,
) -> None:
    incentive = _rules(tenant).incentive
    assert incentive is not None
    ranked = await _assess(session, tenant, quarter)
    zone = tenant.profile.timezone
    first, _, last = quarter.months
    statement = KpiStatement(
        period=str(quarter),
        kind=QUARTERLY,
        starts_at=first.start(zone),
        ends_at=last.end(zone),
        issued_at=now,
        issued_by_id=by,
        profile_version=tenant.profile.version,
    )
    session.add(statement)
    await session.flush()
    session.add_all(
        KpiRankingLine(
            statement_id=statement.id,
            org_unit_id=r.dealer,
            org_path=tenant.units[r.dealer].path,
            region_id=r.group,
            score=None if r.score is None else str(r.score),
            rank=r.rank,
            deliveries=r.deliveries,
            reward=r.reward,
            penalty=r.penalty,
            currency=incentive.currency,
        )
        for r in ranked
    )
    await session.flush()


async def tenant_runtime(database: Database, tenant_id: int) -> TenantRuntime:
    async with database.reader(tenant_id) as session:
        version = await session.scalar(select(Tenant.policy_version).where(Tenant.id == tenant_id))
    assert version is not None
    return await runtime(database, tenant_id, version)


def _rules(tenant: TenantRuntime) -> KpiRules:
    rules = tenant.profile.kpi_rules
    if rules is None or rules.incentive is None:
        message = "the tenant's profile defines no incentive (kpis.yaml): nothing to assess"
        raise InvalidInputError([FieldProblem(("quarter",), message)])
    return rules


def _quarter(text: str, problems: list[FieldProblem]) -> Quarter | None:
    try:
        return Quarter.parse(text)
    except PeriodError as wrong:
        problems.append(FieldProblem(("quarter",), str(wrong)))
        return None


def _statement(period: str) -> Select[KpiStatement]:
    return select(KpiStatement).where(KpiStatement.period == period, KpiStatement.kind == QUARTERLY)


async def _assess(session: AsyncSession, tenant: TenantRuntime, quarter: Quarter) -> list[Ranked]:
    """Each dealer with lines in the quarter's three monthly statements, scored and ranked."""
    rules = _rules(tenant)
    assert rules.incentive is not None
    months = [str(m) for m in quarter.months]
    issued = dict(
        (
            await session.execute(
                select(KpiStatement.period, KpiStatement.id).where(
                    KpiStatement.kind == reconciliation.MONTHLY, KpiStatement.period.in_(months)
                )
            )
        ).all()
    )
    if missing := [m for m in months if m not in issued]:
        message = f"{', '.join(missing)} not reconciled yet: a quarter is assessed from 3 months"
        raise InvalidInputError([FieldProblem(("quarter",), message)])
    line = KpiStatementLine
    sums = await session.execute(
        select(
            line.org_unit_id,
            line.kpi,
            func.sum(line.population),
            func.sum(line.timely),
            func.sum(line.not_timely),
            func.sum(line.pending),
            func.sum(line.adjusted_timely),
            func.sum(line.adjusted_not_timely),
        )
        .where(line.statement_id.in_(list(issued.values())), line.level == "dealer")
        .group_by(line.org_unit_id, line.kpi)
    )
    rates: dict[int, dict[str, Decimal | None]] = {}
    for unit, kpi, *counts in sums.all():
        rates.setdefault(unit, {})[kpi] = rate(Tally(*(int(c) for c in counts)))
    delivered = dict(
        (
            await session.execute(
                select(KpiDelivery.org_unit_id, KpiDelivery.deliveries).where(
                    KpiDelivery.quarter == str(quarter)
                )
            )
        ).all()
    )
    if lacking := sorted(tenant.units[u].code for u in rates if u not in delivered):
        message = f"no deliveries imported for {quarter} for the dealers {', '.join(lacking)}"
        raise InvalidInputError([FieldProblem(("quarter",), message)])
    assessed = [
        Assessed(unit, _region(tenant, unit), score(rules, by_kpi), delivered[unit])
        for unit, by_kpi in rates.items()
    ]
    return rank(assessed, rules.incentive)


def _region(tenant: TenantRuntime, dealer: int) -> int:
    """The dealer's ranking group: the region above it (the RBO's)."""
    unit = tenant.units[dealer]
    while unit.kind != "region" and unit.parent_id is not None:
        unit = tenant.units[unit.parent_id]
    return unit.id


def _ranked(line: KpiRankingLine) -> Ranked:
    return Ranked(
        line.org_unit_id,
        line.region_id,
        line.rank,
        None if line.score is None else Decimal(line.score),
        line.deliveries,
        reward=line.reward,
        penalty=line.penalty,
    )
