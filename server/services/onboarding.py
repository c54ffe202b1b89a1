"""Onboarding an OEM: a profile plus two CSV files (the org tree, the people with their grants),
validated whole first, with every problem named by file, row and column, then created in one
transaction or not at all. GraphQL's onboardTenant and `complaintdesk tenant import` both call
`onboard`.

The CSV formats (templates with zh-CN notes in policies/onboarding/):
  org:   code, parent, kind, name[, timezone, working_hours, working_weekdays]
         parent is the code of a unit of the file, empty for the brand root; working_hours are
         windows such as "09:00-12:00 13:30-18:00" (the gap is the lunch break); weekdays 0-6.
  users: login, name, email, role, org_unit
         one row per grant (repeat the login for more); org_unit is a code of the org file, or a
         path below the root such as /east/dlr-a/aftersales, or empty for the brand root.
Rows count as a spreadsheet shows them: the header is row 1.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import DirectoryEvent, OrgUnit, RoleAssignment, Tenant, User, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.domain.tree import valid_code
from server.profiles import Profile, ProfileInvalidError, bundled_profile_path, parse_profile
from server.profiles.files import load_profile_dir
from server.services import platform as platform_admin
from server.services.onboarding_files import (
    ORG_COLUMNS,
    USER_COLUMNS,
    Person,
    Problems,
    Unit,
    read_org,
    read_rows,
    read_users,
)
from server.services.platform import PlatformCaller
from server.services.tenancy import insert_tenant

# A platform request carries both files base64-encoded (4/3 of their size) and the profile.
PLATFORM_BODY_BYTES = 12_000_000
# (stage, done, total). The stages, in order: "validation" (the files read and checked), then the
# rows created: "org units", "users", "grants"; each ends with done == total.
Progress = Callable[[str, int, int], None]
BATCH = 1000  # rows added per flush, so that progress moves and each INSERT stays a few statements


@dataclass(frozen=True)
class Request:
    slug: str
    name: str
    org_csv: bytes
    users_csv: bytes
    profile_documents: Mapping[str, Any] | None = None
    profile_name: str | None = None


@dataclass(frozen=True)
class Summary:
    tenant: Tenant
    org_units: int
    dealers: int
    users: int
    work_orders: int


async def onboard(
    platform: PlatformCaller | None, request: Request, progress: Progress | None = None
) -> Summary:
    """Validates everything, reporting every problem at once (InvalidInputError; its paths are
    [file, row, column]), then creates the tenant, its tree, its people and their grants in one
    transaction."""
    caller = platform_admin.require(platform)
    report = progress or _silent
    problems = Problems()
    report("validation", 0, 3)
    profile = _profile(request, problems)
    if not valid_code(request.slug):
        problems.add("slug", None, None, "use 2-40 lowercase letters, digits and hyphens")
    if not 0 < len(request.name.strip()) <= 200:
        problems.add("name", None, None, "give a name of 1 to 200 characters")
    root = f"/{request.slug}"
    units = read_org(read_rows("orgCsv", request.org_csv, ORG_COLUMNS, problems), root, problems)
    report("validation", 1, 3)
    people = read_users(
        read_rows("usersCsv", request.users_csv, USER_COLUMNS, problems), units, root, problems
    )
    report("validation", 2, 3)
    async with caller.database.platform() as session:
        taken = await session.scalar(select(Tenant.id).where(Tenant.slug == request.slug))
    if taken is not None:
        problems.add("slug", None, None, f"a tenant '{request.slug}' exists already")
    if problems.found:
        raise InvalidInputError(problems.found)
    report("validation", 3, 3)
    assert profile is not None
    return await _create(caller, request, profile, units, people, report)


def _silent(stage: str, done: int, total: int) -> None:
    """No progress wanted (GraphQL's onboardTenant)."""


def _profile(request: Request, problems: Problems) -> Profile | None:
    given = (request.profile_documents is not None) + (request.profile_name is not None)
    if given != 1:
        problems.add(
            "profile", None, None, "give the profile's documents or a bundled profile's name"
        )
        return None
    try:
        if request.profile_name is not None:
            path = bundled_profile_path(request.profile_name)
            if not re.fullmatch(r"[a-z0-9-]{2,40}", request.profile_name) or not path.is_dir():
                problems.add(
                    "profileName", None, None, f"no bundled profile '{request.profile_name}'"
                )
                return None
            return load_profile_dir(path)
        return parse_profile(dict(request.profile_documents or {}))
    except ProfileInvalidError as exc:
        for p in exc.problems:
            problems.found.append(
                FieldProblem(tuple(x for x in ("profile", p.document, p.path) if x), p.message)
            )
        return None


async def _create(
    caller: PlatformCaller,
    request: Request,
    profile: Profile,
    units: dict[str, Unit],
    people: dict[str, Person],
    report: Progress,
) -> Summary:
    async with caller.database.platform() as session, session.begin():
        tenant, root = await insert_tenant(session, request.slug, request.name.strip(), profile)
        ids = {root.path: root.id}
        done = 0
        for level in _levels(list(units.values())):
            rows = [
                OrgUnit(
                    tenant_id=tenant.id,
                    parent_id=ids[u.path.rsplit("/", 1)[0]],
                    kind=u.kind,
                    code=u.code,
                    name=u.name,
                    path=u.path,
                    **u.hours,
                )
                for u in level
            ]
            session.add_all(rows)
            await session.flush()
            ids.update((r.path, r.id) for r in rows)
            done += len(rows)
            report("org units", done, len(units))
        users = [
            User(tenant_id=tenant.id, username=p.login, display_name=p.name, email=p.email)
            for p in people.values()
        ]
        for start in range(0, len(users), BATCH):
            session.add_all(users[start : start + BATCH])
            await session.flush()
            report("users", min(start + BATCH, len(users)), len(users))
        user_ids = {u.username: u.id for u in users}
        grants = [
            RoleAssignment(
                tenant_id=tenant.id,
                user_id=user_ids[p.login],
                role=role,
                org_unit_id=ids[path],
                org_path=path,
            )
            for p in people.values()
            for role, path, _row in p.grants
        ]
        for start in range(0, len(grants), BATCH):
            session.add_all(grants[start : start + BATCH])
            await session.flush()
            report("grants", min(start + BATCH, len(grants)), len(grants))
        session.add(
            DirectoryEvent(
                tenant_id=tenant.id,
                at=caller.clock(),
                actor_id=None,
                actor=caller.actor,
                kind="tenant.onboarded",
                target=root.path,
                data={
                    "profile": profile.name,
                    "version": profile.version,
                    "units": len(units),
                    "users": len(users),
                },
            )
        )
        await session.flush()
        dealers = sum(u.kind == "dealer" for u in units.values())
    return Summary(tenant, len(units) + 1, dealers, len(users), 0)


def _levels(units: list[Unit]) -> list[list[Unit]]:
    """The units by depth, shallowest first: each level's parents exist before it is inserted."""
    levels: dict[int, list[Unit]] = {}
    for unit in units:
        levels.setdefault(unit.path.count("/"), []).append(unit)
    return [levels[depth] for depth in sorted(levels)]


async def tenants(platform: PlatformCaller | None) -> list[Summary]:
    """Every tenant with its counts, oldest first: the platform admin's list."""
    caller = platform_admin.require(platform)
    async with caller.database.platform() as session:
        return await _summaries(session)


async def _summaries(session: AsyncSession, tenant_id: int | None = None) -> list[Summary]:
    """The tenants (every one, or the one `tenant_id` names) with their counts, oldest first."""

    def counted(model: Any, *where: Any) -> Any:
        if tenant_id is not None:
            where = (*where, model.tenant_id == tenant_id)
        return select(model.tenant_id, func.count()).where(*where).group_by(model.tenant_id)

    chosen = select(Tenant).order_by(Tenant.id)
    if tenant_id is not None:
        chosen = chosen.where(Tenant.id == tenant_id)
    found = list((await session.scalars(chosen)).all())
    units = _by_tenant(await session.execute(counted(OrgUnit)))
    dealers = _by_tenant(await session.execute(counted(OrgUnit, OrgUnit.kind == "dealer")))
    users = _by_tenant(await session.execute(counted(User, User.active)))
    orders = _by_tenant(await session.execute(counted(WorkOrder)))
    return [
        Summary(
            t, units.get(t.id, 0), dealers.get(t.id, 0), users.get(t.id, 0), orders.get(t.id, 0)
        )
        for t in found
    ]


def _by_tenant(result: Result[int, int]) -> dict[int, int]:
    return dict(result.all())


async def deactivate_tenant(platform: PlatformCaller | None, tenant_id: int) -> Summary:
    """The tenant's tokens are refused from the next request on (services/caller.py reads
    `active` with the user); its data stays, and the change is in its directory history.
    Answers the tenant with its counts."""
    caller = platform_admin.require(platform)
    async with caller.database.platform() as session, session.begin():
        tenant = await session.scalar(
            select(Tenant).where(Tenant.id == tenant_id).with_for_update()
        )
        if tenant is None:
            raise NotFoundError("tenant", str(tenant_id))
        if tenant.active:
            tenant.active = False
            session.add(
                DirectoryEvent(
                    tenant_id=tenant.id,
                    at=caller.clock(),
                    actor_id=None,
                    actor=caller.actor,
                    kind="tenant.deactivated",
                    target=f"/{tenant.slug}",
                    data={},
                )
            )
        (summary,) = await _summaries(session, tenant.id)
    return summary
