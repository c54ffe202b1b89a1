"""The widened board's figures for a scope: open orders by state, grade, tier and category with
their clock status, the overdue list's first page and the per-day trend. Each figure is one
set-based statement over the maintained counts (board_counts) or served by an index (migration
0018), so its cost follows the scope's dealers, deadlines ahead or days, never every order of
the brand (docs/architecture.md#board). The compiled Board runs the same statements as subqueries
of one (services/compiled_board.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.local_days import local_day
from server.db.models import BoardCount, TrendHour, WorkOrder, WorkOrderClock
from server.domain.workflow import Label
from server.services import queries, report_scope
from server.services.caller import Caller

OVERDUE_PAGE = 20


@dataclass(frozen=True)
class ClockStatus:
    """Open orders by their clocks: breached (a running clock past its deadline), due soon (else a
    running clock in its warning window), on time (else a clock running), stopped (none running)."""

    on_time: int
    due_soon: int
    breached: int
    stopped: int


@dataclass(frozen=True)
class TrendDay:
    day: date
    registered: int
    handled: int
    closed: int


@dataclass
class Counts:
    by_state: Counter[str] = field(default_factory=Counter)
    by_grade: Counter[str | None] = field(default_factory=Counter)
    by_tier: Counter[str] = field(default_factory=Counter)
    by_category: Counter[str] = field(default_factory=Counter)
    breached: int = 0
    stopped: int = 0


def open_state_labels(caller: Caller) -> dict[str, Label]:
    """The open states of the version in force, in its order, then those only earlier versions
    have (an unmigrated order may sit in a state the version in force renamed), with labels."""
    labels: dict[str, Label] = {}
    for profile in (caller.profile, *caller.tenant.versions.values()):
        for state in profile.workflow.states:
            if not state.final:
                labels.setdefault(state.name, state.label)
    return labels


def open_states(caller: Caller) -> list[str]:
    return list(open_state_labels(caller))


def _scoped(
    caller: Caller, path: str | None, column: Any = WorkOrder.org_path
) -> ColumnElement[bool]:
    here = queries.subtree(path, column) if path is not None else true()
    return queries.visible(caller, column=column) & here


async def counts(caller: Caller, path: str | None, now: datetime) -> Counts:
    """The scope's open orders from the maintained counts, and the breached ones."""
    dimensions = (BoardCount.state, BoardCount.grade, BoardCount.tier, BoardCount.category)
    query = (
        select(*dimensions, BoardCount.running, func.sum(BoardCount.n))
        .where(*counted(caller, path))
        .group_by(*dimensions, BoardCount.running)
    )
    out = Counts()
    async with caller.db.read() as session:
        for state, grade, tier, category, runs, n in (await session.execute(query)).all():
            n = int(n)
            out.by_state[state] += n
            out.by_grade[grade or None] += n
            out.by_tier[tier] += n
            out.by_category[category] += n
            if not runs:
                out.stopped += n
        out.breached = int(await session.scalar(breached(caller, path, now)) or 0)
    return out


def counted(caller: Caller, path: str | None) -> tuple[ColumnElement[bool], ...]:
    """The maintained counts (BoardCount) of the scope's open orders: a few rows per dealer."""
    return (
        BoardCount.state.in_(open_states(caller)),
        # The rows of the scope's own units: each holds its whole subtree (rolled up).
        BoardCount.org_path.in_(units(caller, path)),
    )


def breached(caller: Caller, path: str | None, now: datetime) -> Select[int]:
    """How many of the scope's open orders are past a deadline, from the deadlines already past (an
    index range over the overdue orders alone)."""
    return select(func.count().label("n")).where(
        WorkOrder.next_deadline_at <= now,
        WorkOrder.state.in_(open_states(caller)),
        _scoped(caller, path),
    )


async def due_soon(caller: Caller, path: str | None, now: datetime) -> tuple[int, int]:
    """Open orders with a running clock in its warning window: all of them, and those not
    breached by another clock."""
    async with caller.db.read() as session:
        every, only = (await session.execute(in_warning(caller, path, now))).one()
    return int(every), int(only)


def in_warning(caller: Caller, path: str | None, now: datetime) -> Select[int, int]:
    """The counts of due_soon (`every`, `only`), driven by the running clocks whose warning has
    begun (a partial index by warning instant holding the deadline), so only those reach the
    orders."""
    in_window = (
        WorkOrderClock.stopped_at.is_(None),
        WorkOrderClock.running_since.is_not(None),
        WorkOrderClock.due_at > now,
        WorkOrderClock.warn_at <= now,
    )
    not_breached = case((WorkOrder.next_deadline_at > now, WorkOrder.id))
    return (
        select(
            func.count(WorkOrder.id.distinct()).label("every"),
            func.count(not_breached.distinct()).label("only"),
        )
        .select_from(WorkOrderClock)
        .join(WorkOrder, WorkOrder.id == WorkOrderClock.work_order_id)
        .where(*in_window, WorkOrder.state.in_(open_states(caller)), _scoped(caller, path))
    )


def clock_status(figures: Counts, due_soon_only: int) -> ClockStatus:
    total = sum(figures.by_state.values())
    on_time = total - figures.breached - figures.stopped - due_soon_only
    return ClockStatus(on_time, due_soon_only, figures.breached, figures.stopped)


async def overdue(caller: Caller, path: str | None, now: datetime) -> list[WorkOrder]:
    """The first page of open orders past a deadline, the most overdue first."""
    ids = (
        select(WorkOrder.id)
        .where(
            WorkOrder.next_deadline_at <= now,
            WorkOrder.state.in_(open_states(caller)),
            _scoped(caller, path),
        )
        .order_by(WorkOrder.next_deadline_at, WorkOrder.id)
        .limit(OVERDUE_PAGE)
    )
    async with caller.db.read() as session:
        page = list((await session.scalars(ids)).all())
        rows = {o.id: o for o in (await session.scalars(_orders(page))).all()}
    return [rows[i] for i in page]


def _orders(ids: list[int]) -> Select[WorkOrder]:
    return select(WorkOrder).where(WorkOrder.id.in_(ids))


def units(caller: Caller, path: str | None) -> list[str]:
    """The org units whose rolled-up counts hold the scope: the one asked for, or the caller's."""
    return [path] if path is not None else caller.authz.scopes("workorder.read")


async def trend(caller: Caller, path: str | None, days: report_scope.Days) -> list[TrendDay]:
    async with caller.db.read() as session:
        return await trend_in(session, units(caller, path), days, caller.profile.timezone)


async def trend_in(
    session: AsyncSession, paths: list[str], days: report_scope.Days, zone: str
) -> list[TrendDay]:
    """Registered, handled and closed orders per local day of the range, zeros included: the kept
    hours of the scope's units (a day is 24 rows a unit), summed by local day."""
    day = local_day(TrendHour.hour, zone, days.starts_at).label("day")
    hours = (
        select(day, TrendHour.registered, TrendHour.handled, TrendHour.closed)
        .where(
            TrendHour.org_path.in_(paths),
            TrendHour.hour >= days.starts_at,
            TrendHour.hour < days.ends_at,
        )
        .subquery()
    )
    query = select(
        hours.c.day,
        func.sum(hours.c.registered),
        func.sum(hours.c.handled),
        func.sum(hours.c.closed),
    ).group_by(hours.c.day)
    found = {d: (int(r), int(h), int(c)) for d, r, h, c in (await session.execute(query)).all()}
    return [TrendDay(d, *found.get(d.isoformat(), (0, 0, 0))) for d in days.dates()]
