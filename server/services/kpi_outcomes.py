"""Each population order's outcome of one KPI in one month, as one SELECT: what the monthly
reconciliation inserts, and what a re-run compares the issued outcomes with (rules in
server/domain/kpi.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, literal, select
from sqlalchemy.orm import aliased

from server.db.intervals import plus_days
from server.db.models import Revisit, SlaEffect, WorkOrder, WorkOrderClock
from server.domain.kpi import KpiDefinition, KpiRules, Measure, Month, Outcome
from server.domain.revisit import RevisitState
from server.domain.workflow import Meaning
from server.services.tenancy import TenantRuntime


def _population(tenant: TenantRuntime, rules: KpiRules, period: Month) -> list[Any]:
    profile = tenant.profile
    types = [code for code, t in profile.order_types.items() if t.nature in rules.natures]
    cancelled = [s.name for s in profile.workflow.states if s.meaning is Meaning.CANCELLED]
    zone = profile.timezone
    return [
        WorkOrder.tenant_id == tenant.tenant_id,
        WorkOrder.registered_at >= period.start(zone),
        WorkOrder.registered_at < period.end(zone),
        WorkOrder.order_type.in_(types),
        WorkOrder.state.not_in(cancelled),
    ]


def outcomes(
    tenant: TenantRuntime, rules: KpiRules, kpi: KpiDefinition, period: Month, *, now: datetime
) -> Select[Any]:
    """(work_order_id, org_unit_id, org_path, kpi, outcome, due_at, at) of each population order
    for `kpi`, as of `now`."""
    if kpi.measure is Measure.CLOCK:
        assert kpi.clock is not None
        return _clock_outcomes(tenant, rules, kpi, period, now=now)
    if kpi.measure is Measure.FIRST_TIME_RESOLUTION:
        return _first_time_outcomes(tenant, rules, kpi, period, now=now)
    return _revisit_outcomes(tenant, rules, kpi, period)


def _clock_outcomes(
    tenant: TenantRuntime, rules: KpiRules, kpi: KpiDefinition, period: Month, *, now: datetime
) -> Select[Any]:
    clock = aliased(WorkOrderClock)
    # A clock breached and retargeted since (a B order regraded C) was still not met in time.
    # Grouped once and joined: a correlated subquery was planned once per use of `due` below.
    breaches = (
        select(SlaEffect.work_order_id, func.min(SlaEffect.due_at).label("due_at"))
        .where(
            SlaEffect.tenant_id == tenant.tenant_id,
            SlaEffect.clock == kpi.clock,
            SlaEffect.kind == "breached",
        )
        .group_by(SlaEffect.work_order_id)
        .subquery()
    )
    breached = breaches.c.due_at
    due = case(
        (and_(breached.is_not(None), clock.due_at.is_(None)), breached),
        (and_(breached.is_not(None), breached < clock.due_at), breached),
        else_=clock.due_at,
    )
    overspent = and_(clock.budget.is_not(None), clock.used > clock.budget)
    late = and_(due.is_not(None), clock.stopped_at > due)
    outcome = case(
        (and_(clock.stopped_at.is_not(None), late | overspent), Outcome.NOT_TIMELY.value),
        (clock.stopped_at.is_not(None), Outcome.TIMELY.value),
        (and_(due.is_not(None), due <= now) | overspent, Outcome.NOT_TIMELY.value),
        else_=Outcome.PENDING.value,
    )
    return (
        select(
            WorkOrder.id.label("work_order_id"),
            WorkOrder.org_unit_id,
            WorkOrder.org_path,
            literal(kpi.code).label("kpi"),
            outcome.label("outcome"),
            due.label("due_at"),
            clock.stopped_at.label("at"),
        )
        .join(
            clock,
            and_(
                clock.tenant_id == WorkOrder.tenant_id,
                clock.work_order_id == WorkOrder.id,
                clock.name == kpi.clock,
            ),
        )
        .outerjoin(breaches, breaches.c.work_order_id == WorkOrder.id)
        .where(*_population(tenant, rules, period))
    )


def _first_time_outcomes(
    tenant: TenantRuntime, rules: KpiRules, kpi: KpiDefinition, period: Month, *, now: datetime
) -> Select[Any]:
    days = tenant.profile.first_time_resolution_days
    repeat, original = aliased(WorkOrder), aliased(WorkOrder)
    cancelled = [s.name for s in tenant.profile.workflow.states if s.meaning is Meaning.CANCELLED]
    window_end = plus_days(WorkOrder.closed_at, days)
    # The repeats grouped once and joined: repeat_of_id leads no index, so a subquery correlated
    # to each population order scanned the tenant's orders once per order (quadratic).
    repeats = (
        select(repeat.repeat_of_id.label("order_id"), func.min(repeat.received_at).label("at"))
        .join(original, original.id == repeat.repeat_of_id)
        .where(
            repeat.tenant_id == tenant.tenant_id,
            repeat.repeat_of_id.is_not(None),
            repeat.state.not_in(cancelled),
            original.tenant_id == tenant.tenant_id,
            repeat.received_at <= plus_days(original.closed_at, days),
        )
        .group_by(repeat.repeat_of_id)
        .subquery()
    )
    first_repeat = repeats.c.at
    outcome = case(
        (WorkOrder.closed_at.is_(None), Outcome.PENDING.value),
        (first_repeat.is_not(None), Outcome.NOT_TIMELY.value),
        (window_end > now, Outcome.PENDING.value),
        else_=Outcome.TIMELY.value,
    )
    return (
        select(
            WorkOrder.id.label("work_order_id"),
            WorkOrder.org_unit_id,
            WorkOrder.org_path,
            literal(kpi.code).label("kpi"),
            outcome.label("outcome"),
            case((WorkOrder.closed_at.is_not(None), window_end), else_=None).label("due_at"),
            first_repeat.label("at"),
        )
        .outerjoin(repeats, repeats.c.order_id == WorkOrder.id)
        .where(*_population(tenant, rules, period))
    )


def _revisit_outcomes(
    tenant: TenantRuntime, rules: KpiRules, kpi: KpiDefinition, period: Month
) -> Select[Any]:
    """Revisit success or satisfaction, from each population order's latest revisit not
    cancelled (a reopened order's earlier one was answered before its last handling). An order
    without one is not counted; satisfaction counts only revisits that reached the customer."""
    latest = (
        select(Revisit.work_order_id, func.max(Revisit.id).label("id"))
        .where(
            Revisit.tenant_id == tenant.tenant_id,
            Revisit.state != RevisitState.CANCELLED.value,
        )
        .group_by(Revisit.work_order_id)
        .subquery()
    )
    revisit = aliased(Revisit)
    still_open = revisit.state == RevisitState.OPEN.value
    reached = revisit.state == RevisitState.COMPLETED.value
    met = reached if kpi.measure is Measure.REVISIT_SUCCESS else revisit.result.in_(kpi.satisfied)
    outcome = case(
        (still_open, Outcome.PENDING.value),
        (met, Outcome.TIMELY.value),
        else_=Outcome.NOT_TIMELY.value,
    )
    counted = [] if kpi.measure is Measure.REVISIT_SUCCESS else [still_open | reached]
    return (
        select(
            WorkOrder.id.label("work_order_id"),
            WorkOrder.org_unit_id,
            WorkOrder.org_path,
            literal(kpi.code).label("kpi"),
            outcome.label("outcome"),
            revisit.due_at.label("due_at"),
            revisit.finished_at.label("at"),
        )
        .join(latest, latest.c.work_order_id == WorkOrder.id)
        .join(revisit, and_(revisit.tenant_id == WorkOrder.tenant_id, revisit.id == latest.c.id))
        .where(*_population(tenant, rules, period), *counted)
    )
