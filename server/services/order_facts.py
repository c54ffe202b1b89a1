"""recordOrderFact and recordOrderOutcome: what the handler learnt (a fact, e.g. the customer
could not be reached) and how the matter ended (an outcome, e.g. arbitration), each with its
history; a fact or an event gives the clocks it conditions their other target
(docs/rules.md#conditional-deadlines, #outcomes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import OrderFact, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.text import text_problem
from server.services import clocks
from server.services.caller import Caller
from server.services.changes import changing
from server.services.clock_conditions import FACT
from server.services.tenancy import TenantRuntime

OUTCOME = "outcome"  # the kind of an outcome row; a fact row is clock_conditions.FACT


async def record_fact(
    caller: Caller, order_id: int, fact: str, expected_version: int, comment: str | None = None
) -> WorkOrder:
    _check_comment(comment)
    async with changing(caller, order_id, expected_version) as change:
        order = change.order
        caller.authz.require("workorder.handle", order.org_path)
        profile = caller.tenant.profile_of(order)
        if fact not in profile.facts:
            raise _unknown("fact", fact, profile.facts)
        if await _recorded(change.session, order.id, FACT, fact):
            raise TransitionNotAllowedError(order.state, "recordFact", reason="already recorded")
        change.session.add(_row(order, FACT, fact, change.now, caller.user_id))
        await change.session.flush()  # the clocks read the facts recorded
        changed = await clocks.retarget(change.session, caller.tenant, order)
        await change.record(
            "fact_recorded", comment=comment, data={"fact": fact, "clocks": changed}
        )
    return change.order


async def record_outcome(
    caller: Caller, order_id: int, outcome: str, expected_version: int, comment: str | None = None
) -> WorkOrder:
    _check_comment(comment)
    async with changing(caller, order_id, expected_version) as change:
        order = change.order
        caller.authz.require("workorder.handle", order.org_path)
        profile = caller.tenant.profile_of(order)
        if outcome not in profile.outcomes:
            raise _unknown("outcome", outcome, profile.outcomes)
        if order.state not in profile.outcome_states:
            allowed = ", ".join(profile.outcome_states) or "none"
            reason = f"an outcome is recorded in these states only: {allowed}"
            raise TransitionNotAllowedError(order.state, "recordOutcome", reason=reason)
        if await _recorded(change.session, order.id, OUTCOME, None):
            raise TransitionNotAllowedError(
                order.state, "recordOutcome", reason="the order's outcome is recorded already"
            )
        change.session.add(_row(order, OUTCOME, outcome, change.now, caller.user_id))
        await change.record("outcome_recorded", comment=comment, data={"outcome": outcome})
    return change.order


async def on_event(
    session: AsyncSession, tenant: TenantRuntime, order: WorkOrder, event: str
) -> list[str]:
    """The running clocks an event conditions take their other target (a clock started later
    takes it as it starts)."""
    if not any(d.event == event for d in tenant.profile_of(order).conditional_deadlines):
        return []
    return await clocks.retarget(session, tenant, order, happened=(event,))


async def by_orders(caller: Caller, order_ids: Sequence[int]) -> list[list[OrderFact]]:
    """Each order's rows, oldest first (the order's loader: the orders are the caller's already)."""
    query = (
        select(OrderFact).where(OrderFact.work_order_id.in_(set(order_ids))).order_by(OrderFact.id)
    )
    async with caller.db.read() as session:
        rows = (await session.scalars(query)).all()
    groups: dict[int, list[OrderFact]] = {i: [] for i in order_ids}
    for row in rows:
        groups[row.work_order_id].append(row)
    return [groups[i] for i in order_ids]


def _check_comment(comment: str | None) -> None:
    if problem := text_problem(comment, required=False):
        raise InvalidInputError([FieldProblem(("comment",), problem)])


def _unknown(field: str, code: str, known: Iterable[str]) -> InvalidInputError:
    message = f"unknown {field} '{code}' (known: {', '.join(known) or 'none'})"
    return InvalidInputError([FieldProblem((field,), message)])


async def _recorded(session: AsyncSession, order_id: int, kind: str, code: str | None) -> bool:
    query = select(OrderFact.id).where(OrderFact.work_order_id == order_id, OrderFact.kind == kind)
    if code is not None:
        query = query.where(OrderFact.code == code)
    return (await session.scalar(query.limit(1))) is not None


def _row(order: WorkOrder, kind: str, code: str, now: datetime, user_id: int) -> OrderFact:
    return OrderFact(
        work_order_id=order.id, kind=kind, code=code, recorded_at=now, recorded_by_id=user_id
    )
