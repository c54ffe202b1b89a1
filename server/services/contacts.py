"""logContactAttempt: every call to the customer, reached or not. The first that reaches them is the
response."""

from __future__ import annotations

from server.db.models import ContactAttempt, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.text import text_problem
from server.services import clocks
from server.services.caller import Caller
from server.services.changes import changing

OUTCOMES = ("reached", "unreachable", "refused")


async def log_contact(
    caller: Caller, order_id: int, outcome: str, note: str | None, expected_version: int
) -> tuple[ContactAttempt, WorkOrder]:
    problems = []
    if outcome not in OUTCOMES:
        problems.append(
            FieldProblem(
                ("outcome",), f"unknown outcome '{outcome}' (known: {', '.join(OUTCOMES)})"
            )
        )
    if problem := text_problem(note, required=False):
        problems.append(FieldProblem(("note",), problem))
    if problems:
        raise InvalidInputError(problems)
    async with changing(caller, order_id, expected_version) as change:
        order: WorkOrder = change.order
        caller.authz.require("workorder.contact", order.org_path)
        if caller.tenant.state_of(order).final:
            raise TransitionNotAllowedError(
                order.state, "logContactAttempt", reason=f"the order is {order.state}"
            )
        attempt = ContactAttempt(
            work_order_id=order.id,
            at=change.now,
            actor_id=caller.user_id,
            outcome=outcome,
            note=note,
        )
        change.session.add(attempt)
        data: dict[str, object] = {"outcome": outcome}
        if outcome == "reached" and order.responded_at is None:
            order.responded_at = change.now
            data["clocks"] = await clocks.apply(
                change.session, caller.tenant, order, "first_contact", change.now
            )
        await change.record("contact", comment=note, data=data)
    return attempt, order
