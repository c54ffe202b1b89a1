"""Marking a handler absent: their orders' secondary handlers are told to step in (every order has a
primary and a secondary so that an absence never stalls it, docs/rules.md#absence)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import RoleAssignment, User, WorkOrder
from server.domain.errors import NotPermittedError
from server.services import outbox, queries, references
from server.services.caller import Caller


async def set_absent(caller: Caller, user_id: int, absent: bool) -> User:
    """Needs workorder.assign where the person works; returns the user as they are now."""
    now = caller.clock()
    async with caller.db.write() as session:
        user = await references.resolve(session, caller, references.COLLEAGUE, user_id, lock=True)
        paths = (
            await session.scalars(
                select(RoleAssignment.org_path).where(RoleAssignment.user_id == user_id)
            )
        ).all()
        if not any(caller.authz.check("workorder.assign", p) for p in paths):
            raise NotPermittedError("workorder.assign")
        user.absent = absent
        if absent:
            await _tell_deputies(caller, session, user, now)
    return user


async def _tell_deputies(caller: Caller, session: AsyncSession, user: User, now: datetime) -> None:
    still_open = ~queries.in_states(caller.tenant, lambda s: s.final)
    orders = (
        await session.scalars(
            select(WorkOrder).where(WorkOrder.primary_handler_id == user.id, still_open)
        )
    ).all()
    for order in orders:
        if order.secondary_handler_id is None:
            continue
        message = outbox.Message(
            key=f"absent:{order.id}:{user.id}:{now.isoformat()}",
            topic="workorder.deputy",
            subject=(
                f"【代理处理】{user.display_name} 缺勤，请跟进工单 {order.number} / "
                f"{user.display_name} is absent: please take over order {order.number}"
            ),
            body={"order": order.number, "absent": user.username},
        )
        await outbox.put(session, message, {order.secondary_handler_id}, now)
