"""The tenant admin's changes to people and their grants: adding and deactivating users, granting
and revoking roles. Each needs tenant.users where the grant lies and a role at least as high there;
a user acted on is found only where the caller administers people (NotFound otherwise, as for an id
of nothing). Every change is recorded in the directory's audit history in its transaction."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import OrgUnit, RoleAssignment, User
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError, NotPermittedError
from server.domain.tree import covers
from server.security.authz import RANKS
from server.services.caller import Caller
from server.services.directory import NO_UNIT, audit, tenant_root

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,79}$")


async def add_user(
    caller: Caller,
    username: str,
    display_name: str,
    *,
    email: str | None = None,
    grants: Sequence[tuple[str, int]] = (),
) -> User:
    """A user with their grants (role, unit id); each grant needs what grant_role needs, and a user
    without any needs tenant.users at the tenant's root."""
    _require_some(caller)
    problems = []
    if not USERNAME.match(username):
        problems.append(
            FieldProblem(("username",), "use 2-80 lowercase letters, digits and . _ @ -")
        )
    if not 0 < len(display_name) <= 200:
        problems.append(FieldProblem(("displayName",), "give a name of 1 to 200 characters"))
    units = []
    for index, (role, unit_id) in enumerate(grants):
        unit = caller.tenant.units.get(unit_id)
        if unit is None:
            problems.append(FieldProblem((f"grants[{index}].orgUnitId",), NO_UNIT))
        else:
            units.append((role, unit))
        if role not in RANKS:
            problems.append(FieldProblem((f"grants[{index}].role",), _roles()))
    if problems:
        raise InvalidInputError(problems)
    for role, unit in units:
        _require_grantor(caller, role, unit)
    if not units:
        caller.authz.require("tenant.users", tenant_root(caller))
    async with caller.db.write() as session:
        if await session.scalar(select(User.id).where(User.username == username)) is not None:
            raise InvalidInputError([FieldProblem(("username",), f"'{username}' is taken")])
        user = User(username=username, display_name=display_name, email=email)
        session.add(user)
        await session.flush()
        for role, unit in dict.fromkeys(units):
            session.add(_assignment(user.id, role, unit))
        held = [{"role": r, "path": u.path} for r, u in units]
        audit(session, caller, "user.added", username, {"grants": held})
    return user


async def deactivate_user(caller: Caller, user_id: int) -> User:
    """The user's tokens are refused from the next request on; their history stays theirs. Needs
    tenant.users wherever they hold a role (the tenant root for someone holding none)."""
    _require_some(caller)
    async with caller.db.write() as session:
        user, grants = await _member(session, caller, user_id)
        if not grants:
            caller.authz.require("tenant.users", tenant_root(caller))
        for grant in grants:
            caller.authz.require("tenant.users", grant.org_path)
            if RANKS.index(grant.role) > caller.authz.rank(grant.org_path):
                raise NotPermittedError("tenant.users")
        if user.id == caller.user_id:
            raise InvalidInputError([FieldProblem(("id",), "you cannot deactivate yourself")])
        user.active = False
        audit(session, caller, "user.deactivated", user.username, {})
    return user


async def grant_role(caller: Caller, user_id: int, role: str, unit_id: int) -> User:
    """`role` for the user at the unit (and below it): needs tenant.users there and a role at least
    as high as `role` there."""
    _require_some(caller)
    async with caller.db.write() as session:
        user, grants = await _member(session, caller, user_id)
        unit = _granted_at(caller, role, unit_id)
        _require_grantor(caller, role, unit)
        if any(g.role == role and g.org_unit_id == unit.id for g in grants):
            raise InvalidInputError(
                [FieldProblem(("role",), f"the user holds {role} there already")]
            )
        session.add(_assignment(user.id, role, unit))
        audit(session, caller, "role.granted", user.username, {"role": role, "path": unit.path})
    return user


async def revoke_role(caller: Caller, user_id: int, role: str, unit_id: int) -> User:
    """Takes the grant away: needs what granting it needs."""
    _require_some(caller)
    async with caller.db.write() as session:
        user, grants = await _member(session, caller, user_id)
        unit = _granted_at(caller, role, unit_id)
        _require_grantor(caller, role, unit)
        held = [g for g in grants if g.role == role and g.org_unit_id == unit.id]
        if not held:
            raise InvalidInputError([FieldProblem(("role",), f"the user holds no {role} there")])
        await session.delete(held[0])
        audit(session, caller, "role.revoked", user.username, {"role": role, "path": unit.path})
    return user


def _roles() -> str:
    return f"roles are {', '.join(RANKS)}"


def _require_some(caller: Caller) -> None:
    """Someone who administers people nowhere is told so before any id is looked at."""
    if not caller.authz.scopes("tenant.users"):
        raise NotPermittedError("tenant.users")


def _granted_at(caller: Caller, role: str, unit_id: int) -> OrgUnit:
    problems = [] if role in RANKS else [FieldProblem(("role",), _roles())]
    unit = caller.tenant.units.get(unit_id)
    if unit is None:
        problems.append(FieldProblem(("orgUnitId",), NO_UNIT))
    if problems:
        raise InvalidInputError(problems)
    assert unit is not None
    return unit


def _require_grantor(caller: Caller, role: str, unit: OrgUnit) -> None:
    caller.authz.require("tenant.users", unit.path)
    if RANKS.index(role) > caller.authz.rank(unit.path):
        raise NotPermittedError("tenant.users")


async def _member(
    session: AsyncSession, caller: Caller, user_id: int
) -> tuple[User, list[RoleAssignment]]:
    """The user acted on with all their grants, locked; NotFound unless the caller administers
    people where they hold a role (the root for a user holding none), as for an id of nothing."""
    statement = select(User).where(User.id == user_id).with_for_update()
    user = await session.scalar(statement)
    if user is None:
        raise NotFoundError("user", str(user_id))
    grants = list(
        await session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user_id))
    )
    scopes = caller.authz.scopes("tenant.users")
    paths = [g.org_path for g in grants] or [tenant_root(caller)]
    if not any(covers(s, p) for s in scopes for p in paths):
        raise NotFoundError("user", str(user_id))
    return user, grants


def _assignment(user_id: int, role: str, unit: OrgUnit) -> RoleAssignment:
    return RoleAssignment(user_id=user_id, role=role, org_unit_id=unit.id, org_path=unit.path)
