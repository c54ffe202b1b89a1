"""escalateWorkOrder and returnWorkOrder: moving an order up the category's tiers (dealer → region →
brand SE) and handing it back down with instructions. The new tier gets the order unassigned, a
fresh response clock and a notice; the history says why."""

from __future__ import annotations

from server.db.models import WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.escalation import next_tier, previous_tier
from server.domain.text import text_problem
from server.services import clocks, outbox
from server.services.caller import Caller
from server.services.changes import Change, changing


async def escalate(caller: Caller, order_id: int, reason: str, expected_version: int) -> WorkOrder:
    return await _step(caller, order_id, reason, expected_version, "escalated")


async def hand_back(caller: Caller, order_id: int, instructions: str, expected_version: int) -> WorkOrder:
    return await _step(caller, order_id, instructions, expected_version, "returned")


# kind: (step, permission, field named in errors, where to go, why it may not go there)
_STEPS = {
    "escalated": ("escalate", "workorder.escalate", "reason", next_tier, "the order is at the highest tier of its category"),
    "returned": ("return", "workorder.return", "instructions", previous_tier, "the order is at the first tier of its category"),
}


async def _step(caller: Caller, order_id: int, why: str, expected_version: int, kind: str) -> WorkOrder:
    step, permission, field, target_of, refusal = _STEPS[kind]
    _require_text(field, why)
    async with changing(caller, order_id, expected_version) as change:
        caller.authz.require(permission, change.order.org_path)
        routing = caller.profile.categories[change.order.category].routing
        target = target_of(routing, change.order.tier)
        if target is None:
            possible = [other[0] for other in _STEPS.values() if other[3](routing, change.order.tier) is not None]
            raise TransitionNotAllowedError(change.order.tier, step, possible, refusal)
        await _move(change, target, kind, why)
    return change.order


async def _move(change: Change, tier: str, kind: str, why: str) -> None:
    order, tenant = change.order, change.caller.tenant
    before = {"tier": order.tier, "primary": order.primary_handler_id, "secondary": order.secondary_handler_id}
    order.tier, order.primary_handler_id, order.secondary_handler_id = tier, None, None
    order.escalated = order.escalated or kind == "escalated"
    await change.record(kind, comment=why, data={"before": before, "tier": tier})
    words = {"escalated": ("升级", "escalated to you"), "returned": ("退回", "handed back to you")}[kind]
    message = outbox.Message(
        key=f"{kind}:{order.id}:v{order.version}",
        topic=f"workorder.{kind}",
        subject=f"【工单{words[0]}】{order.number} / order {order.number} {words[1]}",
        body={"order": order.number, "tier": tier, "why": why},
    )
    level = tenant.profile.tiers[tier].level
    await outbox.put(change.session, message, await outbox.tier_managers(change.session, tenant.book, order.org_path, level), change.now)


def _require_text(field: str, value: str) -> None:
    if problem := text_problem(value, required=True):
        raise InvalidInputError([FieldProblem((field,), problem)])
