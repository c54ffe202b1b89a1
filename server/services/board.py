"""The board: a scope's open orders per state, grade, tier and category, how many are running
late, the overdue list and the daily trend (figures in services/board_figures.py)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import board_counts, upsert
from server.db.board_counts import MOMENTS
from server.db.models import BoardCount, TrendHour, WorkOrder
from server.db.session import Database
from server.domain.workflow import Label
from server.services import board_figures, report_scope
from server.services.board_figures import ClockStatus, TrendDay
from server.services.caller import Caller


@dataclass(frozen=True)
class Board:
    # Every open state of the workflow in force, in its order, zeros included; then any open
    # state only an earlier version has, while unmigrated orders are in it.
    by_state: dict[str, int]
    labels: dict[str, Label]  # each of those states' label
    due_soon: int  # a running clock in its warning window (breached by another clock or not)
    breached: int
    at: datetime
    by_grade: dict[str | None, int]  # the profile's grades in its order, then ungraded (None)
    by_tier: dict[str, int]  # the profile's tiers in its order
    by_category: dict[str, int]  # the categories holding open orders, in the profile's order
    clock_status: ClockStatus


async def board(caller: Caller, org_unit_id: int | None = None) -> Board:
    """The caller's whole scope, or the part of it at or below one org unit (NotFound outside
    it)."""
    path = report_scope.unit_path(caller, org_unit_id)
    now = caller.clock()
    counts = await board_figures.counts(caller, path, now)
    due_soon, due_soon_only = await board_figures.due_soon(caller, path, now)
    profile = caller.profile
    labels = board_figures.open_state_labels(caller)
    current = {state.name for state in profile.workflow.states}
    grades: list[str | None] = [*profile.grades, None]
    return Board(
        by_state={
            state: counts.by_state[state]
            for state in labels
            if state in current or counts.by_state[state]
        },
        labels=labels,
        due_soon=due_soon,
        breached=counts.breached,
        at=now,
        by_grade={grade: counts.by_grade[grade] for grade in grades},
        by_tier={tier: counts.by_tier[tier] for tier in profile.tiers},
        by_category={c: counts.by_category[c] for c in profile.categories if counts.by_category[c]},
        clock_status=board_figures.clock_status(counts, due_soon_only),
    )


async def overdue(caller: Caller, org_unit_id: int | None = None) -> list[WorkOrder]:
    """The first page of the scope's open orders past a deadline, the most overdue first."""
    path = report_scope.unit_path(caller, org_unit_id)
    return await board_figures.overdue(caller, path, caller.clock())


async def trend(caller: Caller, org_unit_id: int | None, first: date, last: date) -> list[TrendDay]:
    """Registered, handled and closed orders per day of the tenant's timezone, `first` to `last`
    included."""
    path = report_scope.unit_path(caller, org_unit_id)
    days = report_scope.days(caller, first, last, ("trend",))
    return await board_figures.trend(caller, path, days)


async def recount(database: Database, tenant_id: int, *, fix: bool) -> int:
    """Compares the tenant's maintained board counts with a count of its orders; with `fix`,
    replaces them by it. Returns how many counts differed (`complaintdesk board-counts`: after a
    bulk load, or to check that every change went through the ORM's flush)."""
    async with database.writer(tenant_id) as session, session.begin():
        kept = await _counts(session)
        counted: Counter[board_counts.Key] = Counter()
        for path, *rest, n in (await session.execute(board_counts.grouped(tenant_id))).all():
            counted[(tenant_id, path, *rest)] += n
        fresh = {key[1:]: n for key, n in board_counts.rolled_up(counted).items() if n}
        differing = sum(1 for k in set(kept) | set(fresh) if kept.get(k, 0) != fresh.get(k, 0))
        differing += await _recount_hours(session, tenant_id, fix=fix)
        if fix and differing:
            await session.execute(board_counts.clear(tenant_id))
            rows = [
                dict(zip(("org_path", *board_counts.KEYS[1:], "running"), key, strict=True))
                | {"tenant_id": tenant_id, "n": n}
                for key, n in fresh.items()
            ]
            statement, parameters = upsert.insert_many(session, BoardCount.__table__, rows)
            await session.execute(statement, parameters)
    return differing


async def _counts(session: AsyncSession) -> dict[tuple[Any, ...], int]:
    columns = (
        BoardCount.org_path,
        BoardCount.state,
        BoardCount.grade,
        BoardCount.tier,
        BoardCount.category,
        BoardCount.running,
    )
    rows = (await session.execute(select(*columns, BoardCount.n))).all()
    return {tuple(row[:-1]): row[-1] for row in rows if row[-1]}


async def _recount_hours(session: AsyncSession, tenant_id: int, *, fix: bool) -> int:
    """The trend's kept hours against the orders' instants, streamed (one row per order)."""
    columns = [TrendHour.org_path, TrendHour.hour, *(getattr(TrendHour, m) for m in MOMENTS)]
    kept = {
        (path, board_counts.hour_of(hour)): tuple(moments)
        for path, hour, *moments in (await session.execute(select(*columns))).all()
        if any(moments)
    }
    instants = [getattr(WorkOrder, f"{m}_at") for m in MOMENTS]
    query = select(WorkOrder.org_path, *instants).execution_options(yield_per=10_000)
    counted: Counter[board_counts.HourKey] = Counter()
    async for row in await session.stream(query):
        path = row[0]
        for moment, at in zip(MOMENTS, row[1:], strict=True):
            if at is not None:
                counted[(tenant_id, path, board_counts.hour_of(at), moment)] += 1
    fresh = {
        (path, hour): tuple(moments[m] for m in MOMENTS)
        for (_, path, hour), moments in board_counts.rolled_up_hours(counted).items()
    }
    differing = sum(
        1 for k in set(kept) | set(fresh) if kept.get(k, (0, 0, 0)) != fresh.get(k, (0, 0, 0))
    )
    if fix and differing:
        table = TrendHour.__table__
        await session.execute(table.delete().where(table.c.tenant_id == tenant_id))
        rows = [
            {"tenant_id": tenant_id, "org_path": path, "hour": hour}
            | dict(zip(MOMENTS, moments, strict=True))
            for (path, hour), moments in fresh.items()
        ]
        statement, parameters = upsert.insert_many(session, table, rows)
        await session.execute(statement, parameters)
    return differing
