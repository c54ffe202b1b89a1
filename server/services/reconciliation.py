"""The monthly reconciliation: a frozen KPI statement per tenant and month, its re-runs and the
adjustments they carry into later statements (docs/rules.md#kpis; rules in domain/kpi.py).

Issuing a month writes, in one transaction:
1. each population order's outcome per KPI, computed and inserted by one INSERT ... SELECT per
   KPI (no order passes through Python, so memory does not grow with the month);
2. adjustments settling earlier statements' orders that were pending and have settled since;
3. the lines: counts per dealer and KPI aggregated in SQL (one row per dealer and KPI reaches
   Python), plus the adjustments carried into this month, summed up to each region and the brand.

Re-running an issued month compares a fresh computation with the order outcomes as issued (and
adjusted since) by a full outer join: each difference is one adjustment, carried into the first
month not yet issued, an order that left the population since going to EXCLUDED and one that
joined it coming from EXCLUDED; nothing changed, nothing is written. The issued rows are never
updated (on PostgreSQL the tenant role may not: migration 0010). Runs of one tenant queue behind a
lock on the tenant's row (on SQLite every writer queues), and the statement is unique per tenant,
month and kind: two workers or a message delivered twice issue one statement, the second run
finding it issued.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, and_, case, func, literal, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.db import binding
from server.db.models import KpiAdjustment, KpiOrderOutcome, KpiStatement, Tenant
from server.db.session import Database
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.kpi import KpiRules, Month, Outcome, PeriodError
from server.services import kpi_outcomes, statement_lines
from server.services.caller import Caller
from server.services.tenancy import TenantRuntime, runtime

log = logging.getLogger("complaintdesk.reconciliation")

MONTHLY = "monthly"
APPEAL = "appeal"  # the cause of an adjustment made by an accepted appeal
Progress = Callable[[str], None]  # told each stage as it starts (the CLI draws a bar)
STAGES = ("outcomes", "settling", "lines")


@dataclass(frozen=True)
class Run:
    statement_id: int
    period: str
    issued: bool  # False: the month was issued before and this run compared it
    adjustments: int  # written by this run


async def run_reconciliation(caller: Caller, month: str) -> Run:
    """A tenant admin reconciles `month` now: issues it, or re-runs it if it is issued."""
    caller.authz.require("kpi.reconcile", f"/{caller.tenant.slug}")
    return await reconcile(
        caller.db.database, caller.tenant.tenant_id, month, now=caller.clock(), by=caller.user_id
    )


async def reconcile(
    database: Database,
    tenant_id: int,
    month: str,
    *,
    now: datetime,
    by: int | None = None,
    progress: Progress | None = None,
) -> Run:
    async with database.reader(tenant_id) as session:
        version = await session.scalar(select(Tenant.policy_version).where(Tenant.id == tenant_id))
    assert version is not None
    # Loaded before the write transaction: on SQLite loading takes a connection of its own.
    tenant = await runtime(database, tenant_id, version)
    rules = _rules(tenant)
    async with database.writer(tenant_id) as session, session.begin():
        created_at = await lock_tenant(session, tenant_id)
        period = _period(month, tenant, now=now, created_at=created_at)
        issued = await session.scalar(_statement(str(period)))
        report = _Reporter(tenant.slug, str(period), progress)
        if issued is not None:
            report("outcomes")
            count = await _rerun(session, tenant, rules, issued, now=now)
            log.info("reconciliation %s %s: re-run, %d adjustments", tenant.slug, period, count)
            return Run(issued.id, str(period), issued=False, adjustments=count)
        return await _issue(session, tenant, rules, period, now=now, by=by, report=report)


async def lock_tenant(session: AsyncSession, tenant_id: int) -> datetime:
    """Runs of one tenant queue here (PostgreSQL: on the tenant's row, locked by the one function
    the tenant role may lock it with, docs/database-roles.md; SQLite writers queue on BEGIN
    IMMEDIATE)."""
    created_at: datetime | None
    if session.get_bind().dialect.name == "postgresql":
        created_at = await session.scalar(text(binding.LOCK_TENANT))
    else:
        created_at = await session.scalar(select(Tenant.created_at).where(Tenant.id == tenant_id))
    assert created_at is not None
    return created_at


async def due(database: Database, now: datetime) -> list[tuple[int, str]]:
    """(tenant, month) for each tenant whose last month is over and past its profile's run day and
    hour in the tenant's timezone, and not issued yet: what the scheduler's hourly tick starts."""
    async with database.platform() as session:
        query = select(Tenant.id, Tenant.policy_version, Tenant.created_at)
        tenants = (await session.execute(query)).all()
        issued = set(
            (
                await session.execute(
                    select(KpiStatement.tenant_id, KpiStatement.period).where(
                        KpiStatement.kind == MONTHLY
                    )
                )
            ).all()
        )
    out = []
    for tenant_id, version, created_at in tenants:
        profile = (await runtime(database, tenant_id, version)).profile
        rules = profile.kpi_rules
        last = Month.of(now, profile.timezone).previous()
        if rules is None or (tenant_id, str(last)) in issued:
            continue
        if last.run_at(rules, profile.timezone) <= now and last.end(profile.timezone) > created_at:
            out.append((tenant_id, str(last)))
    return out


def _rules(tenant: TenantRuntime) -> KpiRules:
    rules = tenant.profile.kpi_rules
    if rules is None:
        message = "the tenant's profile defines no KPIs (kpis.yaml): there is nothing to reconcile"
        raise InvalidInputError([FieldProblem(("month",), message)])
    return rules


def _period(month: str, tenant: TenantRuntime, *, now: datetime, created_at: datetime) -> Month:
    zone = tenant.profile.timezone
    try:
        period = Month.parse(month)
    except PeriodError as wrong:
        raise InvalidInputError([FieldProblem(("month",), str(wrong))]) from None
    if period.end(zone) > now:
        message = f"{period} has not ended in {zone}: a month is reconciled once it is over"
        raise InvalidInputError([FieldProblem(("month",), message)])
    if period.end(zone) <= created_at:
        message = f"{period} ended before the tenant existed ({Month.of(created_at, zone)})"
        raise InvalidInputError([FieldProblem(("month",), message)])
    return period


def _statement(period: str) -> Select[KpiStatement]:
    return select(KpiStatement).where(KpiStatement.period == period, KpiStatement.kind == MONTHLY)


class _Reporter:
    def __init__(self, slug: str, period: str, progress: Progress | None):
        self.slug, self.period, self.progress = slug, period, progress

    def __call__(self, stage: str) -> None:
        log.info("reconciliation %s %s: %s", self.slug, self.period, stage)
        if self.progress is not None:
            self.progress(stage)


async def _issue(
    session: AsyncSession,
    tenant: TenantRuntime,
    rules: KpiRules,
    period: Month,
    *,
    now: datetime,
    by: int | None,
    report: _Reporter,
) -> Run:
    zone = tenant.profile.timezone
    statement = KpiStatement(
        period=str(period),
        kind=MONTHLY,
        starts_at=period.start(zone),
        ends_at=period.end(zone),
        issued_at=now,
        issued_by_id=by,
        profile_version=tenant.profile.version,
    )
    session.add(statement)
    await session.flush()
    report("outcomes")
    columns = [
        "tenant_id",
        "statement_id",
        "work_order_id",
        "org_unit_id",
        "org_path",
        "kpi",
        "outcome",
        "due_at",
        "at",
    ]
    for kpi in rules.kpis:
        fresh = kpi_outcomes.outcomes(tenant, rules, kpi, period, now=now).subquery()
        rows = select(literal(tenant.tenant_id), literal(statement.id), *fresh.c)
        await session.execute(KpiOrderOutcome.__table__.insert().from_select(columns, rows))
    report("settling")
    settled = 0
    earlier = await session.scalars(
        select(KpiStatement).where(KpiStatement.kind == MONTHLY, KpiStatement.period < str(period))
    )
    for origin in earlier.all():
        settled += await _compare(
            session, tenant, rules, origin, now=now, into=str(period), pending_only=True
        )
    report("lines")
    await statement_lines.write_lines(session, tenant, statement)
    log.info("reconciliation %s %s: issued, %d settled", tenant.slug, period, settled)
    return Run(statement.id, str(period), issued=True, adjustments=settled)


async def _rerun(
    session: AsyncSession,
    tenant: TenantRuntime,
    rules: KpiRules,
    issued: KpiStatement,
    *,
    now: datetime,
) -> int:
    into = await next_open(session, issued.period)
    return await _compare(session, tenant, rules, issued, now=now, into=into, pending_only=False)


async def next_open(session: AsyncSession, period: str) -> str:
    """The first month after `period` not issued yet: where a change to `period` is carried."""
    target = Month.parse(period).next()
    while await session.scalar(_statement(str(target))) is not None:
        target = target.next()
    return str(target)


def effective() -> Any:
    """The outcome an issued order has now: its last adjustment's, else the one issued."""
    last = (
        select(KpiAdjustment.to_outcome)
        .where(
            KpiAdjustment.tenant_id == KpiOrderOutcome.tenant_id,
            KpiAdjustment.origin_statement_id == KpiOrderOutcome.statement_id,
            KpiAdjustment.work_order_id == KpiOrderOutcome.work_order_id,
            KpiAdjustment.kpi == KpiOrderOutcome.kpi,
        )
        .order_by(KpiAdjustment.id.desc())
        .limit(1)
        .correlate(KpiOrderOutcome)
        .scalar_subquery()
    )
    return func.coalesce(last, KpiOrderOutcome.outcome)


def _current(tenant_id: int, origin_id: int, kpi: str) -> Any:
    """Each order of `origin` for `kpi` as it stands now (work_order_id, org_unit_id, org_path,
    outcome, appealed): its issued outcome, or its last adjustment's; an order that joined the
    population after the close has only adjustments, one that left it ends EXCLUDED. Grouped once
    and joined, so comparing a month costs a few scans, not a subquery per order."""
    o, a = KpiOrderOutcome, KpiAdjustment
    issued = (
        select(o.work_order_id, o.org_unit_id, o.org_path, o.outcome)
        .where(o.tenant_id == tenant_id, o.statement_id == origin_id, o.kpi == kpi)
        .subquery()
    )
    adjusted = (
        select(
            a.work_order_id,
            func.max(a.id).label("last"),
            # An outcome changed by an accepted appeal: a decision a re-run must not undo.
            func.max(case((a.cause == APPEAL, 1), else_=0)).label("appealed"),
        )
        .where(a.tenant_id == tenant_id, a.origin_statement_id == origin_id, a.kpi == kpi)
        .group_by(a.work_order_id)
        .subquery()
    )
    latest = aliased(KpiAdjustment)
    return (
        select(
            func.coalesce(issued.c.work_order_id, adjusted.c.work_order_id).label("work_order_id"),
            func.coalesce(issued.c.org_unit_id, latest.org_unit_id).label("org_unit_id"),
            func.coalesce(issued.c.org_path, latest.org_path).label("org_path"),
            func.coalesce(latest.to_outcome, issued.c.outcome).label("outcome"),
            func.coalesce(adjusted.c.appealed, 0).label("appealed"),
        )
        .select_from(issued)
        .join(adjusted, adjusted.c.work_order_id == issued.c.work_order_id, full=True)
        .outerjoin(latest, latest.id == adjusted.c.last)
        .subquery()
    )


async def _compare(
    session: AsyncSession,
    tenant: TenantRuntime,
    rules: KpiRules,
    origin: KpiStatement,
    *,
    now: datetime,
    into: str,
    pending_only: bool,
) -> int:
    """Adjustments, carried into `into`, for each order of `origin` whose outcome differs now,
    including orders that left the month's population since (now EXCLUDED) or joined it (were
    EXCLUDED): a full outer join of what stands with a fresh computation."""
    period = Month.parse(origin.period)
    excluded = Outcome.EXCLUDED.value
    written = 0
    for kpi in rules.kpis:
        now_stands = _current(tenant.tenant_id, origin.id, kpi.code)
        fresh = kpi_outcomes.outcomes(tenant, rules, kpi, period, now=now).subquery()
        was = func.coalesce(now_stands.c.outcome, excluded)
        becomes = func.coalesce(fresh.c.outcome, excluded)
        settles = and_(was == Outcome.PENDING.value, becomes != excluded)
        differences = (
            select(
                literal(tenant.tenant_id),
                literal(origin.id),
                literal(into),
                func.coalesce(now_stands.c.work_order_id, fresh.c.work_order_id),
                # the dealer it was counted for; one that joined, the dealer it has
                func.coalesce(now_stands.c.org_unit_id, fresh.c.org_unit_id),
                func.coalesce(now_stands.c.org_path, fresh.c.org_path),
                literal(kpi.code),
                was,
                becomes,
                case((settles, "settled"), else_="rerun"),
                fresh.c.due_at,
                fresh.c.at,
                literal(now, KpiAdjustment.created_at.type),
            )
            .select_from(now_stands)
            .join(fresh, fresh.c.work_order_id == now_stands.c.work_order_id, full=True)
            .where(was != becomes, func.coalesce(now_stands.c.appealed, 0) == 0)
        )
        if pending_only:
            differences = differences.where(was == Outcome.PENDING.value)
        columns = [
            "tenant_id",
            "origin_statement_id",
            "period",
            "work_order_id",
            "org_unit_id",
            "org_path",
            "kpi",
            "from_outcome",
            "to_outcome",
            "cause",
            "due_at",
            "at",
            "created_at",
        ]
        result = await session.execute(
            KpiAdjustment.__table__.insert().from_select(columns, differences)
        )
        # an INSERT ... SELECT answers a CursorResult
        written += max(cast(CursorResult[Any], result).rowcount or 0, 0)
    return written
