"""Separation of duties (handling.yaml `separation_of_duties`): whoever took one step on an order
may not take another, e.g. the person who recorded the result does not confirm it. The latest
time the earlier step was taken counts: after a reopen, whoever resolves again is the one kept
out."""

from __future__ import annotations

from sqlalchemy import select

from server.db.models import WorkOrderEvent
from server.domain.errors import TransitionNotAllowedError
from server.domain.workflow import Transition
from server.services.changes import Change


async def check(change: Change, step: Transition) -> None:
    order, caller = change.order, change.caller
    profile = caller.tenant.profile_of(order)
    earlier = profile.handling.separated_from.get(step.name)
    if not earlier:
        return
    last = await change.session.scalar(
        select(WorkOrderEvent.actor_id)
        .where(WorkOrderEvent.work_order_id == order.id, WorkOrderEvent.transition.in_(earlier))
        .order_by(WorkOrderEvent.id.desc())
        .limit(1)
    )
    if last is not None and last == caller.user_id:
        allowed = [t.name for t in profile.workflow.available(order.state) if t.name != step.name]
        steps = ", ".join(sorted(earlier))
        reason = (
            f"you took '{steps}' on this order, so someone else must take '{step.name}' "
            "(separation of duties)"
        )
        raise TransitionNotAllowedError(order.state, step.name, allowed, reason)
