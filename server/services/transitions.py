"""transitionWorkOrder and closeWorkOrder: the workflow engine applied to one order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from server.db.models import WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.text import text_problem
from server.domain.workflow import Meaning, Transition
from server.services import clocks, order_facts, revisits, separation, transfers
from server.services.caller import Caller
from server.services.changes import Change, changing


async def transition(
    caller: Caller,
    order_id: int,
    name: str,
    expected_version: int,
    comment: str | None = None,
    *,
    transfer: transfers.Target | None = None,
) -> WorkOrder:
    """`transfer`: the target a step with a transfer block names (handling.yaml)."""
    _check_comment(comment)
    transfers.check_memo(transfer)
    async with changing(caller, order_id, expected_version) as change:
        workflow = caller.tenant.profile_of(change.order).workflow
        step = workflow.fire(change.order.state, name, comment)
        if step.records_resolution:
            allowed = [
                t.name for t in workflow.available(change.order.state) if not t.records_resolution
            ]
            raise TransitionNotAllowedError(
                change.order.state, name, allowed, "it records a resolution: use closeWorkOrder"
            )
        await _apply(change, step, comment, transfer)
    return change.order


@dataclass
class Resolution:
    resolution: str
    measures: str | None = None
    root_cause: str | None = None
    customer_feedback: str | None = None


async def close(
    caller: Caller, order_id: int, result: Resolution, expected_version: int
) -> WorkOrder:
    problems = [
        FieldProblem((name,), problem)
        for name, value, required in (
            ("resolution", result.resolution, True),
            ("measures", result.measures, False),
            ("rootCause", result.root_cause, False),
            ("customerFeedback", result.customer_feedback, False),
        )
        if (problem := text_problem(value, required=required))
    ]
    if problems:
        raise InvalidInputError(problems)
    async with changing(caller, order_id, expected_version) as change:
        workflow = caller.tenant.profile_of(change.order).workflow
        step = workflow.resolving_transition(change.order.state)
        if step is None:
            allowed = [t.name for t in workflow.available(change.order.state)]
            raise TransitionNotAllowedError(
                change.order.state, "close", allowed, "the order cannot be closed from this state"
            )
        order = change.order
        order.resolution, order.measures = result.resolution, result.measures
        order.root_cause, order.customer_feedback = result.root_cause, result.customer_feedback
        await _apply(change, step, None, None)
    return change.order


async def _apply(
    change: Change, step: Transition, comment: str | None, transfer: transfers.Target | None
) -> None:
    change.caller.authz.require(step.permission, change.order.org_path)
    await separation.check(change, step)
    routed = await transfers.route(change, step.name, transfer)
    await advance(change, step, comment, routed)


async def advance(
    change: Change, step: Transition, comment: str | None, extra: dict[str, Any] | None = None
) -> None:
    """The step, decided by the caller's permission or by a rule that fires it (a revisit's
    result reopens the order): state, clocks, revisits and the history, in one transaction."""
    order, caller = change.order, change.caller
    previous = order.state
    order.state = step.target
    target = caller.tenant.profile_of(order).workflow.state(step.target)
    if target.meaning is Meaning.HANDLED:
        order.handled_at = change.now
    elif target.meaning is Meaning.CLOSED:
        order.closed_at = change.now
    cancelled = target.meaning is Meaning.CANCELLED
    final, session, now = target.final, change.session, change.now
    changed = await clocks.apply(
        session, caller.tenant, order, step.name, now, final=final, cancelled=cancelled
    )
    changed += await order_facts.on_event(session, caller.tenant, order, step.name)
    data = _clocks(changed)
    if extra:
        data = (data or {}) | extra
    opened = await revisits.open_for(session, caller.tenant, order, step.name, now)
    if opened is not None:
        data = (data or {}) | {"revisit": opened}
    await change.record(
        "transition",
        transition=step.name,
        from_state=previous,
        to_state=step.target,
        comment=comment,
        data=data,
    )
    if target.meaning not in _REVISITED:
        reason = f"工单重新处理 / the order went back into handling ({step.name})"
        reason = f"{reason}: {comment}" if comment else reason
        await revisits.cancel_open(session, caller.tenant, order, reason, now, by=caller.user_id)


# An order in these states keeps its open revisit: the call follows handling, and may follow
# closing. Any other state means the order is being handled again (or was cancelled).
_REVISITED = (Meaning.HANDLED, Meaning.CLOSED)


def _clocks(changed: list[str]) -> dict[str, Any] | None:
    return {"clocks": changed} if changed else None


def _check_comment(comment: str | None) -> None:
    problem = text_problem(comment, required=False)
    if problem:
        raise InvalidInputError([FieldProblem(("comment",), problem)])
