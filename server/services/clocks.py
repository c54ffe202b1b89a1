"""The clocks of an order, driven by its events as the profile's deadline rules say.

Every use case that changes an order passes its event through `apply` inside its transaction.
Each clock keeps `next_check_at`, the instant the deadline scan must look at it (its warning, then
its deadline), and the order keeps `next_deadline_at`, the earliest deadline of its running clocks
(past or not), by which the escalations board sorts. The scan moves only the first on: it rewrites
a clock's narrow row, never the order's wide one with its many indexes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import board_counts
from server.db.models import WorkOrder, WorkOrderClock
from server.domain import revisit, sla
from server.domain.calendar import BusinessCalendar
from server.domain.sla import Clock, Unit
from server.profiles import ClockRule, Profile
from server.services import clock_conditions, outbox
from server.services.tenancy import TenantRuntime


class ClockedOrder(Protocol):
    """What sets an order's clock rules: a WorkOrder, or the columns the deadline scan reads."""

    id: int
    org_path: str
    grade: str | None
    category: str
    channel: str
    profile_version: str
    next_deadline_at: datetime | None


def rules_for(profile: Profile, order: ClockedOrder) -> dict[str, ClockRule]:
    """The rule of each clock that applies to this order (the profile guarantees at most one)."""
    rules: dict[str, ClockRule] = {}
    for rule in profile.clocks:
        if (
            (not rule.grades or order.grade in rule.grades)
            and (not rule.categories or order.category in rule.categories)
            and (not rule.channels or order.channel in rule.channels)
        ):
            rules.setdefault(rule.clock, rule)
    return rules


def start_new(tenant: TenantRuntime, order: WorkOrder, at: datetime) -> list[WorkOrderClock]:
    """The clocks a new order starts with, before it is inserted, so registering it is one INSERT
    (its version stays 1); the caller adds the rows once the order has its id."""
    calendar, profile = tenant.calendar_of(order), tenant.profile_of(order)
    rows = []
    for name, rule in rules_for(profile, order).items():
        if rule.starts_on == "registered":
            row = WorkOrderClock(name=name)
            store(
                row,
                sla.start(
                    name,
                    rule.target,
                    Unit(rule.unit),
                    at,
                    calendar,
                    profile.warn_before_percent,
                ),
            )
            rows.append(row)
    order.next_deadline_at = next_deadline(rows)
    return rows


async def load(session: AsyncSession, order_id: int) -> list[WorkOrderClock]:
    query = (
        select(WorkOrderClock)
        .where(WorkOrderClock.work_order_id == order_id)
        .order_by(WorkOrderClock.id)
    )
    return list((await session.scalars(query)).all())


async def apply(
    session: AsyncSession,
    tenant: TenantRuntime,
    order: WorkOrder,
    event: str,
    at: datetime,
    *,
    final: bool = False,
    cancelled: bool = False,
) -> list[str]:
    """Start, pause, resume and stop clocks on `event`; returns what changed, for the history.
    `final`: the order is closed or cancelled, and every open clock ends (`cancelled`: as such)."""
    end = sla.cancel if cancelled else sla.stop
    calendar = tenant.calendar_of(order)
    profile = tenant.profile_of(order)
    warn = profile.warn_before_percent
    rows = {row.name: row for row in await load(session, order.id)}
    holds = await clock_conditions.holding(session, profile, order.id, (event,))
    changed = []
    for name, rule in clock_conditions.applied(rules_for(profile, order), holds).items():
        row = rows.get(name)
        if row is None and rule.starts_on == event:
            row = WorkOrderClock(work_order_id=order.id, name=name)
            session.add(row)
            rows[name] = row
            store(row, sla.start(name, rule.target, Unit(rule.unit), at, calendar, warn))
            changed.append(f"{name} started")
        elif row is not None:
            before = to_clock(row)
            if final:
                clock = end(before, at, calendar)
            else:
                clock = _next(before, rule, event, at, calendar, warn)
            if clock != before:
                store(row, clock)
                changed.append(f"{name} {_verb(clock)}")
    if final:  # a closed or cancelled order has nothing left to time, slips' clocks included
        for row in rows.values():
            # A revisit calls the customer after closing: services/revisits.py ends its clock.
            if row.stopped_at is None and not revisit.is_clock(row.name):
                store(row, end(to_clock(row), at, calendar))
    order.next_deadline_at = next_deadline(rows.values())
    await alert_missing(session, tenant, rows.values(), at)
    return changed


def _next(
    clock: Clock, rule: ClockRule, event: str, at: datetime, cal: BusinessCalendar, warn: int
) -> Clock:
    if rule.stops_on == event:
        return sla.stop(clock, at, cal)
    if rule.pauses_on == event:
        return sla.pause(clock, at, cal)
    if rule.resumes_on == event:
        return sla.resume(clock, at, cal, warn)
    return clock


async def retarget(
    session: AsyncSession,
    tenant: TenantRuntime,
    order: ClockedOrder,
    rows: list[WorkOrderClock] | None = None,
    *,
    happened: tuple[str, ...] = (),
) -> list[str]:
    """After a regrade, an escalation, a fact recorded or an event that conditions a deadline
    (`happened`): each running clock takes its rule's target now, keeping the time used. `rows`
    are the order's clocks when the caller has loaded them already (the deadline scan's
    batches)."""
    calendar = tenant.calendar_of(order)
    profile = tenant.profile_of(order)
    holds = await clock_conditions.holding(session, profile, order.id, happened)
    rules = clock_conditions.applied(rules_for(profile, order), holds)
    rows = await load(session, order.id) if rows is None else rows
    changed = []
    for row in rows:
        rule = rules.get(row.name)
        if (
            rule is None
            or row.stopped_at is not None
            or (rule.target, rule.unit) == (row.target, row.unit)
        ):
            continue
        clock = Clock(
            row.name, rule.target, Unit(rule.unit), row.started_at, row.running_since, row.used
        )
        store(row, sla.schedule(clock, calendar, profile.warn_before_percent))
        changed.append(f"{row.name} now {rule.target or 'unlimited'} {rule.unit}")
    order.next_deadline_at = next_deadline(rows)
    return changed


async def alert_missing(
    session: AsyncSession, tenant: TenantRuntime, rows: Any, now: datetime
) -> None:
    """Tell the tenant's admins, once per year, that deadlines wait for that year's calendar."""
    for year in sorted({r.missing_year for r in rows if r.missing_year is not None}):
        message = outbox.Message(
            key=f"calendar-missing:{year}",
            topic="calendar.missing",
            subject=(
                f"【日历缺失】{year} 年节假日与调休未载入，相关工单时限暂无法计算 / "
                f"the {year} holiday calendar is not loaded"
            ),
            body={
                "year": year,
                "action": f"load the {year} statutory holidays and make-up working days",
            },
        )
        await outbox.put(
            session,
            message,
            await outbox.recipients(session, tenant.book, None, ("tenant_admins",)),
            now,
        )


async def reschedule_missing(
    session: AsyncSession, tenant: TenantRuntime, years: Iterable[int]
) -> int:
    """Compute the deadlines that waited for these years' calendars; returns how many got one."""
    waiting = (
        await session.scalars(
            select(WorkOrderClock).where(WorkOrderClock.missing_year.in_(list(years)))
        )
    ).all()
    order_ids = {row.work_order_id for row in waiting}
    orders = {
        o.id: o
        for o in (await session.scalars(select(WorkOrder).where(WorkOrder.id.in_(order_ids)))).all()
    }
    for row in waiting:
        order = orders[row.work_order_id]
        warn = tenant.profile_of(order).warn_before_percent
        store(row, sla.schedule(to_clock(row), tenant.calendar_of(order), warn))
    counted: Counter[board_counts.Key] = Counter()  # the board's counts, moved by the UPDATE
    for order in orders.values():
        next_at = next_deadline(await load(session, order.id))
        before = board_counts.key_of(order)
        await session.execute(
            update(WorkOrder).where(WorkOrder.id == order.id).values(next_deadline_at=next_at)
        )
        board_counts.move(counted, before, board_counts.key_of(order, next_deadline_at=next_at))
    await session.run_sync(board_counts.apply, counted)
    return sum(1 for row in waiting if row.due_at is not None)


async def stop_named(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, name: str, at: datetime
) -> None:
    rows = await load(session, order.id)
    for row in rows:
        if row.name == name:
            store(row, sla.stop(to_clock(row), at, tenant.calendar_of(order)))
    order.next_deadline_at = next_deadline(rows)


def to_clock(row: WorkOrderClock) -> Clock:
    return Clock(
        name=row.name,
        target=row.target,
        unit=Unit(row.unit),
        started_at=row.started_at,
        running_since=row.running_since,
        used=row.used,
        budget=row.budget,
        due_at=row.due_at,
        warn_at=row.warn_at,
        stopped_at=row.stopped_at,
        missing_year=row.missing_year,
        cancelled=row.cancelled,
    )


def store(row: WorkOrderClock, clock: Clock) -> None:
    fields: dict[str, Any] = {k: getattr(clock, k) for k in _FIELDS}
    fields["unit"] = clock.unit.value
    for key, value in fields.items():
        setattr(row, key, value)
    row.next_check_at = clock.warn_at if clock.running else None


def next_deadline(rows: Any) -> datetime | None:
    """The earliest deadline of the running clocks, passed or not (a breached clock still runs)."""
    due = [
        r.due_at
        for r in rows
        if r.due_at is not None and r.running_since is not None and r.stopped_at is None
    ]
    return min(due, default=None)


def _verb(clock: Clock) -> str:
    if clock.cancelled:
        return "cancelled"
    if clock.stopped_at is not None:
        return "stopped"
    return "running" if clock.running else "paused"


_FIELDS = (
    "name",
    "target",
    "started_at",
    "running_since",
    "used",
    "budget",
    "due_at",
    "warn_at",
    "stopped_at",
    "missing_year",
    "cancelled",
)
