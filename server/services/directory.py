"""The directory: a tenant's org tree and people, listed within the caller's scope (the dealer
picker at intake, the handler picker at assignment), the tenant admin's changes to the tree, and
the directory's audit history (changes to people and grants: server/services/people.py).

Every change is checked (tenant.org for units, tenant.users for people and grants, at the
unit concerned), is recorded in the directory's audit history in its own transaction, and a change
to the tree moves the tenant's policy version on, since every process's runtime holds the tree.
Users and grants are read afresh on every request (services/caller.py), so they need no bump.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import DirectoryEvent, OrgUnit, RoleAssignment, User
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.domain.tree import child_path, covers, outermost, valid_code
from server.security.authz import RANKS
from server.services import references
from server.services.calendars import bump_runtime
from server.services.caller import Caller
from server.services.organisation import KINDS, hours_problems

MAX_PAGE = 100
# Who sees which units: whoever reads orders there or registers for it (the intake's dealer
# picker), and whoever administers the tree.
SEE_UNITS = ("workorder.read", "workorder.register", "tenant.org")
# Who sees which people: whoever reads orders where they hold a role (the handler picker), and
# whoever administers the people.
SEE_USERS = ("workorder.read", "tenant.users")


@dataclass(frozen=True)
class Held:
    role: str
    unit: OrgUnit


@dataclass(frozen=True)
class Member:
    """A user with the grants the caller may see (those within the caller's scope)."""

    user: User
    grants: list[Held]


@dataclass(frozen=True)
class Page:
    members: list[Member]
    has_next: bool


def _scopes(caller: Caller, permissions: Sequence[str]) -> list[str]:
    return outermost([s for p in permissions for s in caller.authz.scopes(p)])


def tenant_root(caller: Caller) -> str:
    return f"/{caller.tenant.slug}"


def org_units(
    caller: Caller,
    *,
    first: int,
    after: int | None = None,
    kind: str | None = None,
    under: int | None = None,
) -> tuple[list[OrgUnit], bool]:
    """A page of the units the caller may see, in tree order (by path), after the unit `after`,
    and whether more follow; from the tenant's runtime, which holds the tree: no statement."""
    scopes = _scopes(caller, SEE_UNITS)
    units = caller.tenant.units
    top = units.get(under) if under is not None else None
    problems = _page_problems(first)
    if under is not None and (top is None or not any(covers(s, top.path) for s in scopes)):
        problems.append(FieldProblem(("under",), NO_UNIT))
    if kind is not None and kind not in KINDS:
        problems.append(FieldProblem(("kind",), f"kinds are {', '.join(KINDS)}"))
    if problems:
        raise InvalidInputError(problems)
    found = [
        u
        for u in units.values()
        if any(covers(s, u.path) for s in scopes)
        and (kind is None or u.kind == kind)
        and (top is None or covers(top.path, u.path))
    ]
    found.sort(key=lambda u: u.path)
    if after is not None:
        ids = [u.id for u in found]
        found = found[ids.index(after) + 1 :] if after in ids else []
    return found[:first], len(found) > first


def _page_problems(first: int) -> list[FieldProblem]:
    if 0 < first <= MAX_PAGE:
        return []
    return [FieldProblem(("first",), f"ask for 1 to {MAX_PAGE} a page")]


async def users(
    caller: Caller,
    *,
    first: int,
    after: int | None = None,
    role: str | None = None,
    under: int | None = None,
    include_inactive: bool = False,
) -> Page:
    """The people holding a role where the caller may see people, by id; `role` and `under` keep
    those holding that role, at or below that unit. Those with no grant at all only the tenant
    admin of the whole tenant sees (when nothing filters by role or unit)."""
    problems = _page_problems(first)
    if role is not None and role not in RANKS:
        problems.append(FieldProblem(("role",), f"roles are {', '.join(RANKS)}"))
    scopes = _scopes(caller, SEE_USERS)
    unit = caller.tenant.units.get(under) if under is not None else None
    if under is not None and (unit is None or not any(covers(s, unit.path) for s in scopes)):
        problems.append(FieldProblem(("orgUnitId",), "no org unit with this id is visible to you"))
    if problems:
        raise InvalidInputError(problems)
    held = _within(scopes)
    if role is not None:
        held = and_(held, RoleAssignment.role == role)
    if unit is not None:
        held = and_(held, _within([unit.path]))
    holds = exists().where(RoleAssignment.user_id == User.id, held)
    shown: ColumnElement[bool] = holds
    if role is None and unit is None and tenant_root(caller) in caller.authz.scopes("tenant.users"):
        shown = or_(holds, ~exists().where(RoleAssignment.user_id == User.id))
    statement = select(User).where(shown).order_by(User.id).limit(first + 1)
    if after is not None:
        statement = statement.where(User.id > after)
    if not include_inactive:
        statement = statement.where(User.active)
    async with caller.db.read() as session:
        found = list((await session.scalars(statement)).all())
        page = found[:first]
        grants = await _grants(session, [u.id for u in page], scopes)
    members = [Member(u, grants.get(u.id, [])) for u in page]
    return Page(members, has_next=len(found) > first)


def _within(scopes: Sequence[str]) -> ColumnElement[bool]:
    if not scopes:
        return false()
    path = RoleAssignment.org_path
    return or_(*(or_(path == s, and_(path >= s + "/", path < s + "0")) for s in scopes))


async def member(caller: Caller, user_id: int) -> Member:
    """One user as the lists show them (after a change): with their grants within the caller's
    scope."""
    async with caller.db.read() as session:
        user = await session.scalar(select(User).where(User.id == user_id))
        if user is None:
            raise NotFoundError("user", str(user_id))
        grants = await _grants(session, [user_id], _scopes(caller, SEE_USERS))
    return Member(user, grants.get(user_id, []))


async def _grants(
    session: AsyncSession, user_ids: list[int], scopes: list[str]
) -> dict[int, list[Held]]:
    if not user_ids:
        return {}
    statement = (
        select(RoleAssignment.user_id, RoleAssignment.role, OrgUnit)
        .join(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(RoleAssignment.user_id.in_(user_ids), _within(scopes))
        .order_by(RoleAssignment.org_path, RoleAssignment.role)
    )
    grouped: dict[int, list[Held]] = {}
    for user_id, role, unit in (await session.execute(statement)).all():
        grouped.setdefault(user_id, []).append(Held(role, unit))
    return grouped


async def add_org_unit(
    caller: Caller,
    parent_id: int,
    kind: str,
    code: str,
    *,
    name: str,
    hours: Mapping[str, Any] | None = None,
) -> OrgUnit:
    """A unit under `parent_id` (tenant.org there); `hours` may give timezone, working_hours
    (windows such as 09:00-12:00 and 13:30-18:00: the gap is the lunch break), working_weekdays."""
    parent = _unit(caller, parent_id)
    caller.authz.require("tenant.org", parent.path)
    given = dict(hours or {})
    problems = _unit_problems(parent, kind, code, name) + hours_problems(
        given.get("timezone"), given.get("working_hours"), given.get("working_weekdays")
    )
    path = child_path(parent.path, code)
    if any(u.path == path for u in caller.tenant.units.values()):
        problems.append(FieldProblem(("code",), f"{path} exists already"))
    if kind == "dealer" and any(
        u.kind == "dealer" and u.code == code for u in caller.tenant.units.values()
    ):
        problems.append(FieldProblem(("code",), f"a dealer '{code}' exists already"))
    if problems:
        raise InvalidInputError(problems)
    unit = OrgUnit(parent_id=parent.id, kind=kind, code=code, name=name, path=path, **given)
    async with caller.db.write() as session:
        session.add(unit)
        await session.flush()
        audit(session, caller, "org_unit.added", path, {"kind": kind, "name": name, **given})
        await bump_runtime(session, caller.tenant.tenant_id)
    return unit


async def update_org_unit(caller: Caller, unit_id: int, changes: Mapping[str, Any]) -> OrgUnit:
    """Changes a unit's name, timezone, working_hours or working_weekdays (None: inherit them from
    the unit above); tenant.org at the unit."""
    known = _unit(caller, unit_id)
    caller.authz.require("tenant.org", known.path)
    problems = hours_problems(
        changes.get("timezone"), changes.get("working_hours"), changes.get("working_weekdays")
    )
    if "name" in changes and not 0 < len(changes["name"] or "") <= 200:
        problems.append(FieldProblem(("name",), "give a name of 1 to 200 characters"))
    if problems:
        raise InvalidInputError(problems)
    async with caller.db.write() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.id == unit_id).with_for_update())
        assert unit is not None  # in this tenant's runtime, and units are never deleted
        for column, value in changes.items():
            setattr(unit, column, value)
        audit(session, caller, "org_unit.updated", unit.path, dict(changes))
        await bump_runtime(session, caller.tenant.tenant_id)
    return unit


async def history(caller: Caller, first: int) -> list[DirectoryEvent]:
    """The latest changes to the directory, newest first: tenant.users at the tenant's root."""
    caller.authz.require("tenant.users", tenant_root(caller))
    problems = _page_problems(first)
    if problems:
        raise InvalidInputError(problems)
    statement = select(DirectoryEvent).order_by(DirectoryEvent.id.desc()).limit(first)
    async with caller.db.read() as session:
        return list((await session.scalars(statement)).all())


NO_UNIT = "no org unit with this id is visible to you"


def _unit(caller: Caller, unit_id: int) -> OrgUnit:
    """The unit acted on, from the tenant's runtime: another tenant's is not there, and one outside
    the caller's scope answers alike (NotFound)."""
    unit = caller.tenant.units.get(unit_id)
    if unit is None or not references.sees(caller, references.ORG_UNIT, [unit.path]):
        raise references.missing(references.ORG_UNIT, unit_id)
    return unit


def _unit_problems(parent: OrgUnit, kind: str, code: str, name: str) -> list[FieldProblem]:
    problems = []
    if kind not in KINDS:
        problems.append(FieldProblem(("kind",), f"kinds are {', '.join(KINDS)}"))
    elif KINDS.index(kind) <= KINDS.index(parent.kind):
        problems.append(FieldProblem(("kind",), f"a {kind} cannot lie under a {parent.kind}"))
    if not valid_code(code):
        problems.append(FieldProblem(("code",), "use 2-40 lowercase letters, digits and hyphens"))
    if not 0 < len(name) <= 200:
        problems.append(FieldProblem(("name",), "give a name of 1 to 200 characters"))
    return problems


def audit(
    session: AsyncSession, caller: Caller, kind: str, target: str, data: dict[str, Any]
) -> None:
    event = DirectoryEvent(
        at=caller.clock(),
        actor_id=caller.user_id,
        actor=caller.principal.username,
        kind=kind,
        target=target,
        data=data,
    )
    session.add(event)
