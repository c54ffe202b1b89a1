"""Whose duty an order's step is (tracking.yaml `duties` and reminder roles): the holders of a
role on the order's unit or any unit above it, e.g. the CR manager of the order's dealer."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.among import among
from server.db.models import RoleAssignment
from server.domain.tree import covers


def ancestors(path: str) -> list[str]:
    """`path` and every unit above it: /t/r/d/sales gives /t, /t/r, /t/r/d and /t/r/d/sales."""
    parts = path.strip("/").split("/")
    return ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


async def role_holders(
    session: AsyncSession, wanted: Sequence[tuple[str, Collection[str]]]
) -> list[set[int]]:
    """For each (org path, roles): who holds one of the roles there, in one query."""
    nodes = {node for path, roles in wanted if roles for node in ancestors(path)}
    roles = {role for _, held in wanted for role in held}
    if not nodes or not roles:
        return [set() for _ in wanted]
    query = select(RoleAssignment.org_path, RoleAssignment.role, RoleAssignment.user_id).where(
        among(session, RoleAssignment.org_path, nodes), RoleAssignment.role.in_(roles)
    )
    grants = (await session.execute(query)).all()
    return [
        {user for at, role, user in grants if role in held and covers(at, path)}
        for path, held in wanted
    ]
