"""assignWorkOrder: a primary and a secondary handler, each of whom may handle orders at this
dealer."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import RoleAssignment, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.tree import covers
from server.security.authz import Authz, Grant, Principal
from server.services import outbox, references
from server.services.caller import Caller
from server.services.changes import Change, changing

HANDLE = "workorder.handle"


async def assign(
    caller: Caller, order_id: int, primary_id: int, secondary_id: int | None, expected_version: int
) -> WorkOrder:
    if secondary_id is not None and secondary_id == primary_id:
        raise InvalidInputError(
            [
                FieldProblem(
                    ("secondaryHandlerId",), "must be someone other than the primary handler"
                )
            ]
        )
    async with changing(caller, order_id, expected_version) as change:
        order = change.order
        caller.authz.require("workorder.assign", order.org_path)
        problems = [
            problem
            for field, user_id in (
                ("primaryHandlerId", primary_id),
                ("secondaryHandlerId", secondary_id),
            )
            if user_id is not None
            and (problem := await _handler_problem(caller, change.session, field, user_id, order))
        ]
        if problems:
            raise InvalidInputError(problems)
        before = {"primary": order.primary_handler_id, "secondary": order.secondary_handler_id}
        order.primary_handler_id, order.secondary_handler_id = primary_id, secondary_id
        await change.record(
            "assigned", data={"before": before, "primary": primary_id, "secondary": secondary_id}
        )
        await _notify(change, {primary_id, secondary_id} - {None, *before.values()})
    return change.order


async def _notify(change: Change, handlers: set[int | None]) -> None:
    order = change.order
    message = outbox.Message(
        key=f"assigned:{order.id}:v{order.version}",
        topic="workorder.assigned",
        subject=f"【新工单】{order.number} 已分派给您 / order {order.number} is assigned to you",
        body={
            "order": order.number,
            "grade": order.grade,
            "category": order.category,
            "summary": order.summary,
        },
    )
    await outbox.put(change.session, message, {h for h in handlers if h is not None}, change.now)


async def _handler_problem(
    caller: Caller, session: AsyncSession, field: str, user_id: int, order: WorkOrder
) -> FieldProblem | None:
    user = await references.find(session, caller, references.USER, user_id)
    if user is None:
        return references.unknown(references.USER, field)
    if not user.active:
        return FieldProblem((field,), f"{user.display_name} is no longer active")
    if user_id in order.involved_staff:
        involved = "is named as involved in this complaint and can never handle it"
        return FieldProblem((field,), f"{user.display_name} {involved}")
    grants = (
        await session.execute(
            select(RoleAssignment.role, RoleAssignment.org_path).where(
                RoleAssignment.user_id == user_id
            )
        )
    ).all()
    principal = Principal(
        user.id, user.username, caller.principal.tenant_id, tuple(Grant(r, p) for r, p in grants)
    )
    if Authz(principal, caller.tenant.book).check(HANDLE, order.org_path):
        return None
    here = sorted({r for r, p in grants if covers(p, order.org_path)})
    if not here:
        outside = "holds no role at this dealer (outside their scope)"
        return FieldProblem((field,), f"{user.display_name} {outside}")
    roles = ", ".join(here)
    lacking = f"lacks the permission '{HANDLE}' at this dealer (their roles here: {roles})"
    return FieldProblem((field,), f"{user.display_name} {lacking}")
