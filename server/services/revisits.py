"""Revisits (回访): opened by the workflow step the profile names, in that step's transaction;
called by a care specialist (attempts); finished with the customer's verdict by
services/revisit_results.py. An order that goes back into handling before the call cancels its
open revisit.

The revisit's deadline is a clock of its order (`revisit-<id>`), so the deadline scan
(services/deadlines.py) warns about and breaches it set-based, with the order's other clocks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import (
    OrgUnit,
    Revisit,
    RevisitAttempt,
    RoleAssignment,
    WorkOrder,
    WorkOrderClock,
)
from server.domain import bounds, sla
from server.domain import revisit as rules
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.revisit import Outcome, RevisitRule, RevisitState
from server.domain.sla import Unit
from server.domain.text import text_problem
from server.services import clocks, history, queries, references
from server.services.caller import Caller
from server.services.changes import Change, changing
from server.services.tenancy import TenantRuntime

READ, PERFORM = "revisit.read", "revisit.perform"


async def open_for(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, step: str, now: datetime
) -> int | None:
    """The revisit `step` creates under the profile, unless it has one for this order and step
    already (a retried or redelivered step): its id, or None when nothing was created. The step's
    history event names it, with its clock."""
    found = tenant.profile_of(order).revisit_rules
    rule = found.rules.get(step) if found is not None else None
    if rule is None:
        return None
    values = {
        "tenant_id": order.tenant_id,
        "work_order_id": order.id,
        "org_unit_id": order.org_unit_id,
        "org_path": order.org_path,
        "trigger": step,
        "order_version": order.version,
        "state": RevisitState.OPEN.value,
        # At the dealer even when the order lies at one of its departments (a transfer).
        "assignee_id": await _assignee(
            session, tenant.units[order.org_unit_id].path, rule.assignee_role
        ),
        "created_at": now,
        "failed_attempts": 0,
        "answers": [],
    }
    statement = upsert.insert(session, Revisit).values(**values).on_conflict_do_nothing()
    revisit_id: int | None = await session.scalar(statement.returning(Revisit.id))
    if revisit_id is None:
        return None
    calendar, warn = tenant.calendar_of(order), tenant.profile_of(order).warn_before_percent
    name = rules.clock_name(revisit_id)
    clock = sla.start(name, rule.target, Unit(rule.unit), now, calendar, warn)
    row = WorkOrderClock(work_order_id=order.id, name=clock.name)
    clocks.store(row, clock)
    session.add(row)
    revisit = await session.get_one(Revisit, revisit_id)
    revisit.due_at = clock.due_at
    order.next_deadline_at = clocks.next_deadline(await clocks.load(session, order.id))
    return revisit_id


async def _assignee(session: AsyncSession, dealer_path: str, role: str) -> int | None:
    """The first person holding `role` at the order's dealer; none there: the revisit waits in
    the dealer's list for whoever may perform it."""
    query = select(RoleAssignment.user_id).where(
        RoleAssignment.org_path == dealer_path, RoleAssignment.role == role
    )
    return await session.scalar(query.order_by(RoleAssignment.user_id).limit(1))


async def cancel_open(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, reason: str, now: datetime,
    *, by: int | None,
) -> list[int]:  # fmt: skip
    """The order went back into handling (or was cancelled) before its revisit was called: each
    open revisit ends as cancelled, with the reason in the order's history (a form still
    being handled is not revisited)."""
    query = select(Revisit).where(
        Revisit.work_order_id == order.id, Revisit.state == RevisitState.OPEN.value
    )
    found = list((await session.scalars(query.with_for_update())).all())
    for revisit in found:
        revisit.state, revisit.reason, revisit.finished_at = "cancelled", reason, now
        await _end_clock(session, tenant, order, revisit, now, cancelled=True)
        data = {"revisit": revisit.id}
        kind = "revisit_cancelled"
        await history.record(session, order, by, now, kind, comment=reason, data=data)
    return [r.id for r in found]


async def _end_clock(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, revisit: Revisit,
    now: datetime, *, cancelled: bool = False,
) -> None:  # fmt: skip
    end = sla.cancel if cancelled else sla.stop
    rows = await clocks.load(session, order.id)
    for row in rows:
        if row.name == rules.clock_name(revisit.id):
            clocks.store(row, end(clocks.to_clock(row), now, tenant.calendar_of(order)))
    order.next_deadline_at = clocks.next_deadline(rows)


@dataclass
class Attempt:
    outcome: Outcome
    channel: str | None = None  # the rule's first channel (phone) when not given
    script: str | None = None
    notes: str | None = None
    call_back_at: datetime | None = None


async def log_attempt(caller: Caller, revisit_id: int, attempt: Attempt) -> Revisit:
    async with revisit_change(caller, revisit_id) as (change, revisit, rule):
        channel = attempt.channel or rule.channels[0]
        _check_attempt(attempt, channel, rule, change.now)
        check_open(revisit)
        session, now = change.session, change.now
        effect = rules.attempt(
            revisit.failed_attempts, attempt.outcome, rule.max_failed_attempts, attempt.call_back_at
        )
        session.add(
            RevisitAttempt(
                revisit_id=revisit.id, at=now, actor_id=caller.user_id,
                outcome=attempt.outcome.value, channel=channel, script=attempt.script,
                notes=attempt.notes, call_back_at=attempt.call_back_at,
            )
        )  # fmt: skip
        revisit.failed_attempts = effect.failed_attempts
        if effect.call_back_at is not None:
            await _call_back(change, revisit, effect.call_back_at)
        data: dict[str, Any] = {"revisit": revisit.id, "outcome": attempt.outcome.value}
        if effect.state is RevisitState.UNSUCCESSFUL:
            revisit.reason = _why_unsuccessful(attempt.outcome, effect.failed_attempts)
            await finish(change, revisit, RevisitState.UNSUCCESSFUL, successful=False)
            data["ended"] = revisit.reason
        await change.record("revisit_attempt", comment=attempt.notes, data=data)
    return revisit


def _check_attempt(attempt: Attempt, channel: str, rule: RevisitRule, now: datetime) -> None:
    problems = []
    if channel not in rule.channels:
        message = f"unknown channel '{channel}' (this revisit allows: {', '.join(rule.channels)})"
        problems.append(FieldProblem(("channel",), message))
    if problem := text_problem(attempt.script, required=False, limit=bounds.NAME, one_line=True):
        problems.append(FieldProblem(("script",), problem))
    if problem := text_problem(attempt.notes, required=False):
        problems.append(FieldProblem(("notes",), problem))
    later = attempt.call_back_at
    if attempt.outcome is Outcome.CALL_BACK and later is None:
        problems.append(FieldProblem(("callBackAt",), "give the time the customer asked for"))
    elif later is not None and attempt.outcome is not Outcome.CALL_BACK:
        problems.append(FieldProblem(("callBackAt",), "only a CALL_BACK attempt sets a time"))
    elif later is not None and (problem := bounds.instant_problem(later)):
        problems.append(FieldProblem(("callBackAt",), problem))
    elif later is not None and later <= now:
        problems.append(FieldProblem(("callBackAt",), "lies in the past: give a later time"))
    if problems:
        raise InvalidInputError(problems)


def check_open(revisit: Revisit) -> None:
    if revisit.state != RevisitState.OPEN.value:
        message = f"the revisit is {revisit.state}: it takes no more attempts or results"
        raise InvalidInputError([FieldProblem(("id",), message)])


def _why_unsuccessful(outcome: Outcome, failed: int) -> str:
    if outcome is Outcome.REFUSED:
        return "客户拒绝回访 / the customer refused the revisit"
    return f"{failed} 次未接通 / {failed} failed attempts"


async def _call_back(change: Change, revisit: Revisit, at: datetime) -> None:
    """The customer asked to be called later: the revisit falls due then (not a failure)."""
    tenant, order = change.caller.tenant, change.order
    rows = await clocks.load(change.session, order.id)
    calendar, warn = tenant.calendar_of(order), tenant.profile_of(order).warn_before_percent
    for row in rows:
        if row.name == rules.clock_name(revisit.id):
            moved = sla.move_due(clocks.to_clock(row), at, change.now, calendar, warn)
            clocks.store(row, moved)
            revisit.due_at = moved.due_at
    order.next_deadline_at = clocks.next_deadline(rows)


async def finish(
    change: Change, revisit: Revisit, state: RevisitState, *, successful: bool
) -> None:
    revisit.state, revisit.successful = state.value, successful
    revisit.finished_at, revisit.finished_by_id = change.now, change.caller.user_id
    await _end_clock(change.session, change.caller.tenant, change.order, revisit, change.now)


@asynccontextmanager
async def revisit_change(
    caller: Caller, revisit_id: int
) -> AsyncIterator[tuple[Change, Revisit, RevisitRule]]:
    """The revisit and its order, locked; an id the caller may not read is NotFound, like one of
    nothing; one they may read but not act on is NotPermitted."""
    async with caller.db.read() as session:
        found = await references.resolve(session, caller, references.REVISIT, revisit_id)
    async with changing(caller, found.work_order_id, None) as change:
        revisit = await change.session.get_one(Revisit, revisit_id, with_for_update=True)
        caller.authz.require(PERFORM, revisit.org_path)
        profile_rules = caller.tenant.profile_of(change.order).revisit_rules
        rule = profile_rules.rules.get(revisit.trigger) if profile_rules is not None else None
        if rule is None:
            message = "the tenant's profile no longer has rules for this revisit"
            raise InvalidInputError([FieldProblem(("id",), message)])
        yield change, revisit, rule


@dataclass
class RevisitFilter:
    states: list[str] | None = None
    results: list[str] | None = None
    org_unit_id: int | None = None  # a dealer or region: revisits at or below it
    assignee_id: int | None = None
    due_today: bool = False  # open and due before the end of today, in the tenant's timezone
    overdue: bool = False  # open and past its due time


@dataclass
class Page:
    revisits: list[Row[Any]]
    has_next: bool


async def list_revisits(
    caller: Caller, where: RevisitFilter, first: int, after: int | None
) -> Page:
    if not 0 < first <= queries.MAX_PAGE:
        problem = f"ask for 1 to {queries.MAX_PAGE} revisits a page"
        raise InvalidInputError([FieldProblem(("first",), problem)])
    query = _ROWS.where(queries.visible(caller, READ, Revisit.org_path))
    query = query.order_by(Revisit.id).limit(first + 1)
    if after is not None:
        query = query.where(Revisit.id > after)
    for column, values in ((Revisit.state, where.states), (Revisit.result, where.results)):
        if values:
            query = query.where(column.in_(values))
    if where.assignee_id is not None:
        query = query.where(Revisit.assignee_id == where.assignee_id)
    now = caller.clock()
    if where.overdue:
        query = query.where(Revisit.state == "open", Revisit.due_at <= now)
    if where.due_today:
        query = query.where(Revisit.state == "open", Revisit.due_at < _end_of_day(caller, now))
    async with caller.db.read() as session:
        if where.org_unit_id is not None:
            path = await session.scalar(select(OrgUnit.path).where(OrgUnit.id == where.org_unit_id))
            below = false() if path is None else queries.subtree(path, Revisit.org_path)
            query = query.where(below)
        rows = list((await session.execute(query)).all())
    return Page(rows[:first], len(rows) > first)


_ROWS = select(*Revisit.__table__.columns)


def _end_of_day(caller: Caller, now: datetime) -> datetime:
    local = now.astimezone(ZoneInfo(caller.profile.timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


async def get_revisit(caller: Caller, revisit_id: int) -> Revisit:
    async with caller.db.read() as session:
        return await references.resolve(session, caller, references.REVISIT, revisit_id)


async def by_orders(caller: Caller, order_ids: Sequence[int]) -> list[list[Row[Any]]]:
    """Each order's revisits the caller may read, oldest first (the order's loader)."""
    query = _ROWS.where(
        Revisit.work_order_id.in_(set(order_ids)), queries.visible(caller, READ, Revisit.org_path)
    )
    async with caller.db.read() as session:
        rows = (await session.execute(query.order_by(Revisit.id))).all()
    groups: dict[int, list[Row[Any]]] = {i: [] for i in order_ids}
    for row in rows:
        groups[row.work_order_id].append(row)
    return [groups[i] for i in order_ids]


async def attempts(caller: Caller, revisit_ids: Sequence[int]) -> list[list[Row[Any]]]:
    query = select(*RevisitAttempt.__table__.columns).where(
        RevisitAttempt.revisit_id.in_(set(revisit_ids))
    )
    async with caller.db.read() as session:
        rows = (await session.execute(query.order_by(RevisitAttempt.id))).all()
    groups: dict[int, list[Row[Any]]] = {i: [] for i in revisit_ids}
    for row in rows:
        groups[row.revisit_id].append(row)
    return [groups[i] for i in revisit_ids]


@dataclass
class DealerStatistics:
    org_unit_id: int
    revisits: int = 0  # opened in the period, cancelled ones left out
    finished: int = 0  # completed or unsuccessful
    successful: int = 0
    results: dict[str, int] = field(default_factory=dict)  # result code -> revisits

    @property
    def completion_rate(self) -> float | None:
        return self.finished / self.revisits if self.revisits else None

    @property
    def success_rate(self) -> float | None:
        return self.successful / self.finished if self.finished else None


async def statistics(caller: Caller, start: datetime, end: datetime) -> list[DealerStatistics]:
    """Per dealer, the revisits opened in [start, end) the caller may read: completion rate,
    success rate and the distribution of results. One grouped statement, whatever the number of
    orders: its rows are dealers x states x results."""
    problems = [
        FieldProblem((name,), problem)
        for name, value in (("from", start), ("to", end))
        if (problem := bounds.instant_problem(value))
    ]
    if problems:
        raise InvalidInputError(problems)
    query = (
        select(Revisit.org_unit_id, Revisit.state, Revisit.result, func.count())
        .where(queries.visible(caller, READ, Revisit.org_path))
        .where(Revisit.created_at >= start, Revisit.created_at < end)
        .where(Revisit.state != RevisitState.CANCELLED.value)
        .group_by(Revisit.org_unit_id, Revisit.state, Revisit.result)
    )
    async with caller.db.read() as session:
        rows = (await session.execute(query)).all()
    dealers: dict[int, DealerStatistics] = {}
    for unit, state, result, count in rows:
        stats = dealers.setdefault(unit, DealerStatistics(unit))
        stats.revisits += count
        if state != RevisitState.OPEN.value:
            stats.finished += count
        if state == RevisitState.COMPLETED.value:
            stats.successful += count
        if result is not None:
            stats.results[result] = stats.results.get(result, 0) + count
    return [dealers[k] for k in sorted(dealers)]
