"""regradeWorkOrder: a supervisor changes an order's grade (e.g. B to C when it cannot close in
time); its clocks take the new grade's targets, keeping the time already used, and the history says
why."""

from __future__ import annotations

from server.db.models import WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, TransitionNotAllowedError
from server.domain.text import text_problem
from server.services import clocks, escalation, grade_routing
from server.services.caller import Caller
from server.services.changes import changing


async def regrade(
    caller: Caller, order_id: int, grade: str, reason: str, expected_version: int
) -> WorkOrder:
    if problem := text_problem(reason, required=True):
        raise InvalidInputError([FieldProblem(("reason",), problem)])
    async with changing(caller, order_id, expected_version) as change:
        order = change.order
        caller.authz.require("workorder.regrade", order.org_path)
        # The grades of the order's own version: an unmigrated order keeps its version's grades.
        grades = caller.tenant.profile_of(order).grades
        if grade not in grades:
            message = f"unknown grade '{grade}' (known: {', '.join(grades)})"
            raise InvalidInputError([FieldProblem(("grade",), message)])
        if order.grade is None:
            raise TransitionNotAllowedError(
                order.state, "regrade", reason="consultations are not graded"
            )
        before = order.grade
        order.grade = grade
        changed = await clocks.retarget(change.session, caller.tenant, order)
        await change.record(
            "regraded",
            comment=reason,
            data={"before": {"grade": before}, "after": {"grade": grade}, "clocks": changed},
        )
        profile = caller.tenant.profile_of(order)
        moved = grade_routing.route(profile, order, grade, by=caller.user_id, at=change.now)
        if moved is not None:
            await escalation.record(change.session, caller.tenant, [moved], change.now)
    return change.order
