"""Reading KPI statements: the monthly statements with their lines (and the rate each shows), the
adjustments carried into them, and a month's discrepancies (every later change to its outcomes).

Everything is limited to where the caller holds kpi.read: a dealer sees its own lines, an RBO its
region's (the region's sums and each of its dealers), an SE or HQ the brand's. A caller holding it
nowhere is refused with NotPermitted; a statement's id answers NotFound to them, like no statement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import (
    KpiAdjustment,
    KpiStatement,
    KpiStatementLine,
    OrgUnit,
    WorkOrder,
)
from server.domain.errors import (
    FieldProblem,
    InvalidInputError,
    NotFoundError,
    NotPermittedError,
)
from server.domain.kpi import Month, PeriodError, Tally, rate
from server.services import references
from server.services.caller import Caller
from server.services.queries import subtree, visible
from server.services.reconciliation import MONTHLY

READ = "kpi.read"
# An org unit to filter by: any unit (a region or a dealer) where the caller reads KPIs.
UNIT: references.Kind[OrgUnit] = references.Kind(
    "org unit", OrgUnit.id, select(OrgUnit, OrgUnit.path), (READ,)
)


@dataclass(frozen=True)
class Line:
    row: KpiStatementLine
    rate: Decimal | None  # domain/kpi.rate of the line's settled orders


@dataclass(frozen=True)
class Adjustment:
    row: KpiAdjustment
    order_number: str
    origin_period: str


@dataclass(frozen=True)
class Statement:
    row: KpiStatement
    lines: list[Line]
    adjustments: list[Adjustment]  # carried into this statement


def period_problem(text: str, field: str = "period") -> FieldProblem | None:
    try:
        Month.parse(text)
    except PeriodError as wrong:
        return FieldProblem((field,), str(wrong))
    return None


async def list_statements(
    caller: Caller, period: str | None = None, org_unit_id: int | None = None
) -> list[Statement]:
    """The monthly statements, newest first, or the one of `period`; their lines where the caller
    reads KPIs, at or below `org_unit_id` if given."""
    _require_somewhere(caller)
    if period is not None and (problem := period_problem(period)):
        raise InvalidInputError([problem])
    async with caller.db.read() as session:
        scope = await _scope(session, caller, org_unit_id)
        query = select(KpiStatement).where(KpiStatement.kind == MONTHLY)
        if period is not None:
            query = query.where(KpiStatement.period == period)
        rows = list((await session.scalars(query.order_by(KpiStatement.period.desc()))).all())
        return await _with_lines(session, rows, scope)


async def get_statement(caller: Caller, statement_id: int) -> Statement:
    if not caller.authz.scopes(READ):
        raise NotFoundError("KPI statement", str(statement_id))
    async with caller.db.read() as session:
        row = await session.scalar(
            select(KpiStatement).where(
                KpiStatement.id == statement_id, KpiStatement.kind == MONTHLY
            )
        )
        if row is None:
            raise NotFoundError("KPI statement", str(statement_id))
        [found] = await _with_lines(session, [row], await _scope(session, caller, None))
    return found


async def discrepancies(
    caller: Caller, period: str, org_unit_id: int | None = None
) -> list[Adjustment]:
    """Every change found to `period`'s issued outcomes since it was issued (a re-run's
    differences, pending orders settled, accepted appeals), each with the month carrying it."""
    _require_somewhere(caller)
    if problem := period_problem(period):
        raise InvalidInputError([problem])
    async with caller.db.read() as session:
        scope = await _scope(session, caller, org_unit_id)
        query = _adjustments(scope(KpiAdjustment.org_path)).where(KpiStatement.period == period)
        return [Adjustment(row[0], row[1], row[2]) for row in (await session.execute(query)).all()]


Scope = Callable[[Any], ColumnElement[bool]]  # the condition on a table's org path column


def _require_somewhere(caller: Caller) -> None:
    if not caller.authz.scopes(READ):
        raise NotPermittedError(READ)


async def _scope(session: AsyncSession, caller: Caller, org_unit_id: int | None) -> Scope:
    """Where the caller reads KPIs, within the org unit `org_unit_id` if given."""
    if org_unit_id is None:
        return lambda column: visible(caller, READ, column)
    unit = await references.find(session, caller, UNIT, org_unit_id)
    if unit is None:
        raise references.missing(UNIT, org_unit_id, "orgUnitId")
    return lambda column: visible(caller, READ, column) & subtree(unit.path, column)


def _adjustments(where: ColumnElement[bool]) -> Select[KpiAdjustment, str, str]:
    return (
        select(KpiAdjustment, WorkOrder.number, KpiStatement.period)
        .join(WorkOrder, WorkOrder.id == KpiAdjustment.work_order_id)
        .join(KpiStatement, KpiStatement.id == KpiAdjustment.origin_statement_id)
        .where(where)
        .order_by(KpiAdjustment.id)
    )


async def _with_lines(
    session: AsyncSession, rows: list[KpiStatement], scope: Scope
) -> list[Statement]:
    """The statements with their lines and carried adjustments: two statements however many."""
    ids = [row.id for row in rows]
    lines = await session.scalars(
        select(KpiStatementLine)
        .where(KpiStatementLine.statement_id.in_(ids), scope(KpiStatementLine.org_path))
        .order_by(KpiStatementLine.org_path, KpiStatementLine.kpi)
    )
    by_statement: dict[int, list[Line]] = {i: [] for i in ids}
    for line in lines.all():
        tally = Tally(
            line.population,
            line.timely,
            line.not_timely,
            line.pending,
            line.adjusted_timely,
            line.adjusted_not_timely,
        )
        by_statement[line.statement_id].append(Line(line, rate(tally)))
    periods = {row.period: row.id for row in rows}
    carried: dict[int, list[Adjustment]] = {i: [] for i in ids}
    adjustments = _adjustments(scope(KpiAdjustment.org_path)).where(
        KpiAdjustment.period.in_(list(periods))
    )
    for row in (await session.execute(adjustments)).all():
        found = Adjustment(row[0], row[1], row[2])
        carried[periods[found.row.period]].append(found)
    return [Statement(row, by_statement[row.id], carried[row.id]) for row in rows]
