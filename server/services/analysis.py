"""The monthly complaint analysis (客户投诉分析月报, DOMAIN.md Part II §8.4) of a scope: orders
registered in the month by type, category and channel, root causes as recorded, response and
closure times in business time (median and p90 of the stopped clocks' business minutes), repeat
and escalation rates, revisit results of the month, and the change from the month before.

Every figure is one grouped statement over the month's orders of the scope (index
ix_work_orders_registered), so a brand's month costs what its ~100,000 orders do; only the clocks'
minutes reach Python, for the percentiles. The figures are plain JSON: a cadence report stores
them as they are (services/cadence.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Revisit, WorkOrder, WorkOrderClock
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.revisit import Action
from server.profiles import Profile
from server.services import board_figures, queries, report_scope
from server.services.caller import Caller

Scoped = Callable[[Any], ColumnElement[bool]]  # an org_path column -> the scope's condition
ROOT_CAUSES = 20  # the most frequent, as recorded
TIMED_CLOCKS = ("response", "closure")


def month_days(caller: Caller, period: str) -> report_scope.Days:
    try:
        first = date.fromisoformat(f"{period}-01")
    except ValueError:
        message = f"'{period}' is not a month: write it YYYY-MM"
        raise InvalidInputError([FieldProblem(("period",), message)]) from None
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return report_scope.days(caller, first, following - timedelta(days=1), ("period",))


def previous_month(period: str) -> str:
    first = date.fromisoformat(f"{period}-01")
    return f"{first - timedelta(days=1):%Y-%m}"


async def complaint_analysis(
    caller: Caller, period: str, org_unit_id: int | None = None
) -> dict[str, Any]:
    """The analysis of `period` (YYYY-MM) for the caller's scope or one org unit in it."""
    days = month_days(caller, period)
    earlier = month_days(caller, previous_month(period))
    path = report_scope.unit_path(caller, org_unit_id)

    def scoped(column: Any) -> ColumnElement[bool]:
        here = queries.subtree(path, column) if path is not None else true()
        return queries.visible(caller, column=column) & here

    month = Month(period, days, caller.profile.timezone, *verdicts(caller.profile))
    async with caller.db.read() as session:
        scope = board_figures.units(caller, path)
        current = await figures(session, scoped, month, scope)
        earlier_month = replace(month, key=previous_month(period), days=earlier)
        before = await figures(session, scoped, earlier_month, scope)
    return with_change(current, before)


@dataclass(frozen=True)
class Month:
    key: str  # YYYY-MM
    days: report_scope.Days
    zone: str
    verdicts: frozenset[str]  # the revisit results where the customer gave a verdict
    satisfied: frozenset[str]  # those of them that count as a satisfied customer


def verdicts(profile: Profile) -> tuple[frozenset[str], frozenset[str]]:
    """The revisit results where the customer gave a verdict, and those where nothing more had to
    be done (satisfied)."""
    rules = profile.revisit_rules
    results = rules.results.items() if rules is not None else ()
    given = frozenset(code for code, result in results if result.successful)
    satisfied = frozenset(
        code for code in given if rules is not None and rules.results[code].action is Action.NONE
    )
    return given, satisfied


def with_change(current: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """The month's figures with the month before's headline figures and the change to each."""
    headline = ("total", "repeat_rate", "escalation_rate")
    previous = {name: before[name] for name in headline}
    previous["response_median"] = before["response"]["median"]
    previous["closure_median"] = before["closure"]["median"]
    now = {name: current[name] for name in headline}
    now["response_median"] = current["response"]["median"]
    now["closure_median"] = current["closure"]["median"]
    change = {name: _change(now[name], previous[name]) for name in now}
    return {**current, "previous": previous, "change": change}


def _change(now: float | None, before: float | None) -> float | None:
    """Relative change, 0.25 for +25 %; None where the month before has nothing to compare."""
    if now is None or not before:
        return None
    return round((now - before) / before, 4)


async def figures(
    session: AsyncSession, scoped: Scoped, month: Month, units: list[str]
) -> dict[str, Any]:
    """The figures of `month` for the orders `scoped` selects, whose units are `units` (the trend
    reads their kept hours)."""
    days = month.days
    in_month = (
        (WorkOrder.registered_at >= days.starts_at)
        & (WorkOrder.registered_at < days.ends_at)
        & scoped(WorkOrder.org_path)
    )
    dims = (WorkOrder.order_type, WorkOrder.category, WorkOrder.channel)
    repeats = func.sum(case((WorkOrder.repeat_number > 1, 1), else_=0))
    escalated = func.sum(case((WorkOrder.escalated, 1), else_=0))
    grouped = select(*dims, func.count(), repeats, escalated).where(in_month).group_by(*dims)
    by_type: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    total = repeated = raised = 0
    for order_type, category, channel, n, r, e in (await session.execute(grouped)).all():
        by_type[order_type] = by_type.get(order_type, 0) + n
        by_category[category] = by_category.get(category, 0) + n
        by_channel[channel] = by_channel.get(channel, 0) + n
        total, repeated, raised = total + n, repeated + int(r or 0), raised + int(e or 0)
    causes = (
        select(WorkOrder.root_cause, func.count().label("n"))
        .where(in_month, WorkOrder.root_cause.is_not(None))
        .group_by(WorkOrder.root_cause)
        .order_by(func.count().desc(), WorkOrder.root_cause)
        .limit(ROOT_CAUSES)
    )
    root_causes = [
        {"cause": cause, "count": n} for cause, n in (await session.execute(causes)).all()
    ]
    return {
        "period": month.key,
        "starts_at": days.starts_at.isoformat(),
        "ends_at": days.ends_at.isoformat(),
        "total": total,
        "by_type": by_type,
        "by_category": by_category,
        "by_channel": by_channel,
        "root_causes": root_causes,
        **await _durations(session, in_month),
        "repeat_rate": _rate(repeated, total),
        "escalation_rate": _rate(raised, total),
        "revisits": await _revisits(session, scoped, month),
        "trend": await _trend(session, units, days, month.zone),
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


async def _durations(session: AsyncSession, in_month: ColumnElement[bool]) -> dict[str, Any]:
    query = (
        select(WorkOrderClock.name, WorkOrderClock.used)
        .join(WorkOrder, WorkOrder.id == WorkOrderClock.work_order_id)
        .where(
            in_month,
            WorkOrderClock.name.in_(TIMED_CLOCKS),
            WorkOrderClock.stopped_at.is_not(None),
            WorkOrderClock.cancelled.is_(False),
        )
    )
    minutes: dict[str, list[int]] = {name: [] for name in TIMED_CLOCKS}
    for name, used in (await session.execute(query)).all():
        minutes[name].append(used)
    return {name: percentiles(values) for name, values in minutes.items()}


def percentiles(values: list[int]) -> dict[str, Any]:
    """Median and p90 by the nearest rank: a figure someone's order actually took."""
    if not values:
        return {"count": 0, "median": None, "p90": None}
    ordered = sorted(values)

    def rank(p: int) -> int:
        return ordered[max(0, -(-len(ordered) * p // 100) - 1)]

    return {"count": len(ordered), "median": rank(50), "p90": rank(90)}


async def _revisits(session: AsyncSession, scoped: Scoped, month: Month) -> dict[str, Any]:
    days = month.days
    query = (
        select(Revisit.result, func.count())
        .where(
            Revisit.finished_at >= days.starts_at,
            Revisit.finished_at < days.ends_at,
            Revisit.result.is_not(None),
            scoped(Revisit.org_path),
        )
        .group_by(Revisit.result)
    )
    by_result = dict((await session.execute(query)).all())
    gave_verdict = sum(n for code, n in by_result.items() if code in month.verdicts)
    satisfied = sum(n for code, n in by_result.items() if code in month.satisfied)
    return {
        "count": sum(by_result.values()),
        "by_result": by_result,
        "satisfied_rate": _rate(satisfied, gave_verdict),
    }


async def _trend(
    session: AsyncSession, units: list[str], days: report_scope.Days, zone: str
) -> list[dict[str, Any]]:
    rows = await board_figures.trend_in(session, units, days, zone)
    return [
        {
            "day": d.day.isoformat(),
            "registered": d.registered,
            "handled": d.handled,
            "closed": d.closed,
        }
        for d in rows
    ]
