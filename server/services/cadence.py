"""Cadence reports (cadence.yaml): the scheduler's hourly tick finds, per tenant, each report whose
day and hour have come in the tenant's timezone and that is not stored yet (`due`); a job produces
it (`produce`): the analysis of the period for the whole brand, stored, and one outbox message
per recipient, in one transaction. The report is unique per tenant, kind and period and the
outbox per key and recipient, so a tick that runs twice or a job delivered twice produces it once
and notifies each recipient once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, true

from server.db import upsert
from server.db.models import CadenceReport, RoleAssignment, Tenant, User
from server.db.session import Database
from server.domain.cadence import CadenceRule, Every, Period, latest_due, period_of
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.services import analysis, outbox, report_scope
from server.services.caller import Caller
from server.services.tenancy import runtime

TOPIC = "cadence_report"
MAX_PAGE = 50


async def due(database: Database, now: datetime) -> list[tuple[int, str, str]]:
    """(tenant, report code, period) for each report whose run instant has passed and that is not
    produced yet; only the latest period of each, and none for a period before the tenant."""
    async with database.platform() as session:
        query = select(Tenant.id, Tenant.policy_version, Tenant.created_at).where(Tenant.active)
        tenants = (await session.execute(query)).all()
        produced = set(
            (
                await session.execute(
                    select(CadenceReport.tenant_id, CadenceReport.kind, CadenceReport.period)
                )
            ).all()
        )
    out = []
    for tenant_id, version, created_at in tenants:
        profile = (await runtime(database, tenant_id, version)).profile
        for rule in profile.cadence.reports.values():
            period = latest_due(rule, now, profile.timezone)
            if (tenant_id, rule.code, period.key) in produced:
                continue
            if period.ends_at(profile.timezone) > created_at:
                out.append((tenant_id, rule.code, period.key))
    return out


async def produce(
    database: Database, tenant_id: int, kind: str, period_key: str, *, now: datetime
) -> bool:
    """Produces the report and queues its notices; False when it was produced before (or the
    profile no longer has it)."""
    async with database.reader(tenant_id) as session:
        version = await session.scalar(select(Tenant.policy_version).where(Tenant.id == tenant_id))
    assert version is not None
    tenant = await runtime(database, tenant_id, version)
    profile, units = tenant.profile, [f"/{tenant.slug}"]
    rule = profile.cadence.reports.get(kind)
    if rule is None:
        return False
    zone = profile.timezone
    period = period_of(rule, period_key, zone)
    given, satisfied = analysis.verdicts(profile)

    def brand(_column: Any) -> ColumnElement[bool]:
        return true()

    async with database.writer(tenant_id) as session, session.begin():
        exists = await session.scalar(
            select(CadenceReport.id).where(
                CadenceReport.kind == kind, CadenceReport.period == period.key
            )
        )
        if exists is not None:
            return False
        current = analysis.Month(period.key, _days(period, zone), zone, given, satisfied)
        earlier = _before(rule, period, zone)
        before = analysis.Month(earlier.key, _days(earlier, zone), zone, given, satisfied)
        figures = analysis.with_change(
            await analysis.figures(session, brand, current, units),
            await analysis.figures(session, brand, before, units),
        )
        inserted = await session.execute(
            upsert.insert(session, CadenceReport)
            .values(
                tenant_id=tenant_id,
                kind=kind,
                period=period.key,
                starts_at=period.starts_at(zone),
                ends_at=period.ends_at(zone),
                produced_at=now,
                figures=figures,
            )
            .on_conflict_do_nothing()
            .returning(CadenceReport.id)
        )
        report_id = inserted.scalar()
        if report_id is None:  # another worker got there between the look and the insert
            return False
        message = outbox.Message(
            key=f"cadence:{kind}:{period.key}",
            topic=TOPIC,
            subject=f"{rule.label.zh} {period.key}",
            body={"report_id": report_id, "kind": kind, "period": period.key},
        )
        await outbox.put(session, message, await _recipients(session, rule), now)
    return True


def _days(period: Period, zone: str) -> report_scope.Days:
    return report_scope.Days(
        period.first, period.last, period.starts_at(zone), period.ends_at(zone)
    )


def _before(rule: CadenceRule, period: Period, zone: str) -> Period:
    day_before = period.first - timedelta(days=1)
    if rule.every is Every.WEEK:
        year, week, _ = day_before.isocalendar()
        return period_of(rule, f"{year}-W{week:02d}", zone)
    return period_of(rule, f"{day_before:%Y-%m}", zone)


async def _recipients(session: Any, rule: CadenceRule) -> set[int]:
    query = (
        select(RoleAssignment.user_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(RoleAssignment.role.in_(rule.roles), User.active)
    )
    return set((await session.scalars(query)).all())


@dataclass
class Page:
    reports: list[CadenceReport]
    has_next: bool


def readable(caller: Caller) -> list[str]:
    """The report codes the caller may read: those sent to a role it holds; every one for who reads
    the whole brand's orders."""
    reports = caller.profile.cadence.reports
    if caller.authz.check("workorder.read", f"/{caller.tenant.slug}"):
        return list(reports)
    roles = {grant.role for grant in caller.authz.principal.grants}
    return [code for code, rule in reports.items() if roles & set(rule.roles)]


async def list_reports(caller: Caller, kind: str | None, first: int, after: int | None) -> Page:
    """The produced reports the caller may read, newest first, paged by keyset."""
    if not 0 < first <= MAX_PAGE:
        raise InvalidInputError([FieldProblem(("first",), f"ask for 1 to {MAX_PAGE} reports")])
    if kind is not None and kind not in caller.profile.cadence.reports:
        known = ", ".join(caller.profile.cadence.reports) or "none"
        message = f"unknown report kind '{kind}' (kinds: {known})"
        raise InvalidInputError([FieldProblem(("kind",), message)])
    kinds = [k for k in readable(caller) if kind is None or k == kind]
    query = (
        select(CadenceReport)
        .where(CadenceReport.kind.in_(kinds))
        .order_by(CadenceReport.id.desc())
        .limit(first + 1)
    )
    if after is not None:
        query = query.where(CadenceReport.id < after)
    async with caller.db.read() as session:
        rows = list((await session.scalars(query)).all())
    return Page(rows[:first], len(rows) > first)


async def get_report(caller: Caller, report_id: int) -> CadenceReport:
    async with caller.db.read() as session:
        row = await session.scalar(select(CadenceReport).where(CadenceReport.id == report_id))
    if row is None or row.kind not in readable(caller):
        raise NotFoundError("report", str(report_id))
    return row
