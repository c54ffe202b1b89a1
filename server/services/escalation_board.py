"""The escalations board: the escalated orders (above their first tier, repeats, or with a warning
slip) the caller may see, filtered and paged by keyset."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, SQLColumnExpression, exists, select, tuple_, union_all

from server.db.models import WarningSlip, WorkOrder
from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError
from server.services import queries
from server.services.caller import Caller


@dataclass
class EscalationFilter:
    org_unit_id: int | None = None  # a region or a dealer
    categories: list[str] | None = None
    tiers: list[str] | None = None
    grades: list[str] | None = None
    slip_states: list[str] | None = None
    older_than_hours: int | None = None
    sort: str = "age"  # age: oldest first; breach: past-due first, by how long


@dataclass(frozen=True)
class EscalationPosition:
    """Where the page before ended: its last order, and for the breach order that order's
    deadline."""

    last_id: int
    deadline: datetime | None = None


async def list_escalations(
    caller: Caller, where: EscalationFilter, first: int, after: EscalationPosition | None
) -> queries.Page[WorkOrder]:
    """Escalated orders (above their first tier, repeats, or with a warning slip) the caller may
    see."""
    check_page(first, where)
    async with caller.db.read() as session:
        query = await escalation_page(session, caller, where, first, after)
        rows = list((await session.scalars(query)).all())
    return queries.Page(rows[:first], len(rows) > first)


def check_page(first: int, where: EscalationFilter) -> None:
    """Refuses a page size out of range or an age out of bounds (InvalidInputError)."""
    if not 0 < first <= queries.MAX_PAGE:
        raise InvalidInputError(
            [FieldProblem(("first",), f"ask for 1 to {queries.MAX_PAGE} orders a page")]
        )
    hours = where.older_than_hours
    if hours is not None and (problem := bounds.range_problem(hours, 0, bounds.HOURS_MAX)):
        raise InvalidInputError([FieldProblem(("filter", "olderThanHours"), problem)])


async def escalation_page(
    session: Any,
    caller: Caller,
    where: EscalationFilter,
    first: int,
    after: EscalationPosition | None,
) -> Select[Any]:
    """The statement of a page of escalations and what follows it (more than `first` rows when
    another page follows), in the sort's order: the interpreted list's, and the rows a compiled
    read builds its JSON from (server/services/compiled_escalations.py)."""
    # The page's ids first, then its rows. The ids come from a partial index alone (index-only: it
    # holds org_path, so a region's board passes over other regions' entries without reading their
    # rows); filtering rows instead read ~2,500 of them, on as many pages, for a region's first
    # page.
    matching = _filtered_escalations(
        caller, select(WorkOrder.id).where(WorkOrder.escalated, queries.visible(caller)), where
    )
    matching = await queries.filtered(
        session, matching, queries.OrderFilter(org_unit_id=where.org_unit_id)
    )
    page = _escalations_page(matching, where.sort, after, first + 1)
    return select(WorkOrder).where(WorkOrder.id.in_(page)).order_by(*escalation_order(where.sort))


def escalation_order(sort: str) -> tuple[SQLColumnExpression[Any], ...]:
    if sort == "breach":
        # Past-due first, the longest overdue first; next_deadline_at is the earliest running
        # deadline. NULLS LAST is the order of ix_work_orders_escalations_breach, so the index
        # serves the page (ordering by "next_deadline_at IS NULL" first made PostgreSQL sort every
        # escalated order).
        return (WorkOrder.next_deadline_at.asc().nulls_last(), WorkOrder.id)
    return (WorkOrder.id,)


def _escalations_page(
    matching: Select[Any], sort: str, after: EscalationPosition | None, size: int
) -> Any:
    """The ids of the page after `after`, by keyset: a page stays put while orders ahead of it
    change, and a deep page costs what the first one does."""
    # correlate(None): the same table outside must not turn the ids' subquery into a per-row one.
    if sort != "breach":
        since = matching.where(WorkOrder.id > after.last_id) if after is not None else matching
        return since.order_by(WorkOrder.id).limit(size).correlate(None)
    deadline, undated = (
        WorkOrder.next_deadline_at,
        matching.where(WorkOrder.next_deadline_at.is_(None)),
    )
    if after is not None and after.deadline is None:  # already among the orders without a deadline
        return (
            undated.where(WorkOrder.id > after.last_id)
            .order_by(WorkOrder.id)
            .limit(size)
            .correlate(None)
        )
    # Two index ranges rather than one OR, which no index serves in this order: the dated orders
    # after the position, then those without a deadline; the caller keeps the first `size`.
    dated = matching.where(deadline.is_not(None))
    if after is not None:
        dated = dated.where(tuple_(deadline, WorkOrder.id) > (after.deadline, after.last_id))
    parts = [
        dated.order_by(deadline, WorkOrder.id).limit(size).subquery(),
        undated.order_by(WorkOrder.id).limit(size).subquery(),
    ]
    return union_all(*(select(part.c.id) for part in parts))


def _filtered_escalations(caller: Caller, query: Select[Any], f: EscalationFilter) -> Select[Any]:
    for column, values in (
        (WorkOrder.category, f.categories),
        (WorkOrder.tier, f.tiers),
        (WorkOrder.grade, f.grades),
    ):
        if values:
            query = query.where(column.in_(values))
    if f.slip_states:
        query = query.where(
            exists().where(
                WarningSlip.work_order_id == WorkOrder.id, WarningSlip.state.in_(f.slip_states)
            )
        )
    if f.older_than_hours is not None:
        query = query.where(
            WorkOrder.registered_at <= caller.clock() - timedelta(hours=f.older_than_hours)
        )
    return query
