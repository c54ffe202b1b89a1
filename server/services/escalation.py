"""escalateWorkOrder and returnWorkOrder: moving an order up the category's tiers (dealer → region →
brand SE) and handing it back down with instructions; and `move`, the one way any order changes
tier (a person, a repeat complaint routed up at intake, the deadline scan's breach action). The new
tier gets the order unassigned and a notice; no clock restarts (the profile says when clocks start,
and none starts on a tier move); the history says why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.escalation import next_tier, previous_tier
from server.domain.text import text_problem
from server.services import history, outbox
from server.services.caller import Caller
from server.services.changes import changing
from server.services.tenancy import TenantRuntime


class Movable(history.Order, Protocol):
    """What a tier move changes: a WorkOrder, or the columns the deadline scan reads."""

    tier: str
    profile_version: str
    escalated: bool
    primary_handler_id: int | None
    secondary_handler_id: int | None


@dataclass(frozen=True)
class TierMove:
    """A move made on an order, to be recorded once the order has its id (`record`)."""

    order: Movable
    kind: str  # escalated (up: the order is escalated from then on) or returned
    why: str
    by: int | None  # None: the system
    at: datetime
    before: dict[str, Any]


def move(
    order: Movable, tier: str, *, up: bool, why: str, by: int | None, at: datetime
) -> TierMove:
    """The order goes to `tier`, unassigned; moved up, it is escalated, whoever moved it."""
    before = {"tier": order.tier, "primary": order.primary_handler_id}
    before["secondary"] = order.secondary_handler_id
    order.tier, order.primary_handler_id, order.secondary_handler_id = tier, None, None
    order.escalated = order.escalated or up
    return TierMove(order, "escalated" if up else "returned", why, by, at, before)


async def record(
    session: AsyncSession, tenant: TenantRuntime, moves: Sequence[TierMove], now: datetime
) -> None:
    """Each move's history event and its notice to the managers of the new tier, set-based."""
    await history.record_all(session, [_event(m) for m in moves])
    nodes = [
        outbox.tier_node(m.order.org_path, tenant.profile_of(m.order).tiers[m.order.tier].level)
        for m in moves
    ]
    managers = await outbox.holders_at(session, tenant.book, "workorder.assign", set(nodes))
    at_nodes = zip(moves, nodes, strict=True)
    notices = [(_notice(m), managers.get(node, set())) for m, node in at_nodes]
    await outbox.put_many(session, notices, now)


def _event(m: TierMove) -> history.Event:
    data = {"before": m.before, "tier": m.order.tier}
    return history.Event(m.order, m.by, m.at, m.kind, comment=m.why, data=data)


_WORDS = {"escalated": ("升级", "escalated to you"), "returned": ("退回", "handed back to you")}


def _notice(m: TierMove) -> outbox.Message:
    order = m.order
    words = _WORDS[m.kind]
    return outbox.Message(
        key=f"{m.kind}:{order.id}:v{order.version}",
        topic=f"workorder.{m.kind}",
        subject=f"【工单{words[0]}】{order.number} / order {order.number} {words[1]}",
        body={"order": order.number, "tier": order.tier, "why": m.why},
    )


async def escalate(caller: Caller, order_id: int, reason: str, expected_version: int) -> WorkOrder:
    return await _step(caller, order_id, reason, expected_version, "escalated")


async def hand_back(
    caller: Caller, order_id: int, instructions: str, expected_version: int
) -> WorkOrder:
    return await _step(caller, order_id, instructions, expected_version, "returned")


# kind: (step, permission, field named in errors, where to go, why it may not go there)
_STEPS = {
    "escalated": (
        "escalate",
        "workorder.escalate",
        "reason",
        next_tier,
        "the order is at the highest tier of its category",
    ),
    "returned": (
        "return",
        "workorder.return",
        "instructions",
        previous_tier,
        "the order is at the first tier of its category",
    ),
}


async def _step(
    caller: Caller, order_id: int, why: str, expected_version: int, kind: str
) -> WorkOrder:
    step, permission, field, target_of, refusal = _STEPS[kind]
    _require_text(field, why)
    async with changing(caller, order_id, expected_version) as change:
        caller.authz.require(permission, change.order.org_path)
        routing = caller.tenant.profile_of(change.order).categories[change.order.category].routing
        target = target_of(routing, change.order.tier)
        if target is None:
            possible = [
                other[0]
                for other in _STEPS.values()
                if other[3](routing, change.order.tier) is not None
            ]
            raise TransitionNotAllowedError(change.order.tier, step, possible, refusal)
        change.order.updated_at = change.now
        up = kind == "escalated"
        moved = move(change.order, target, up=up, why=why, by=caller.user_id, at=change.now)
        await record(change.session, caller.tenant, [moved], change.now)
    return change.order


def _require_text(field: str, value: str) -> None:
    if problem := text_problem(value, required=True):
        raise InvalidInputError([FieldProblem((field,), problem)])
