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

import csv
import io
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Result, func, select

from server.db.models import (
    DirectoryEvent,
    OrgUnit,
    RoleAssignment,
    Tenant,
    User,
    WorkOrder,
)
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.domain.tree import child_path, valid_code
from server.profiles import (
    Profile,
    ProfileInvalidError,
    bundled_profile_path,
    parse_profile,
)
from server.profiles.files import load_profile_dir
from server.security.authz import RANKS
from server.services import platform as platform_admin
from server.services.directory import USERNAME
from server.services.organisation import KINDS, hours_problems
from server.services.platform import PlatformCaller
from server.services.tenancy import insert_tenant

CSV_BYTES = 4_000_000  # each file: about 40,000 rows, far more than the largest OEM
# A platform request carries both files base64-encoded (4/3 of their size) and the profile.
PLATFORM_BODY_BYTES = 12_000_000
ORG_COLUMNS = ("code", "parent", "kind", "name")
ORG_OPTIONAL = ("timezone", "working_hours", "working_weekdays")
USER_COLUMNS = ("login", "name", "email", "role", "org_unit")
ENCODINGS = "UTF-8 (with or without a BOM) or GB18030"
Progress = Callable[[str, int, int], None]  # (stage, done, total)


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


@dataclass
class _Unit:
    row: int
    code: str
    parent: str
    kind: str
    name: str
    hours: dict[str, Any]
    path: str = ""


@dataclass
class _Person:
    row: int
    login: str
    name: str
    email: str | None
    grants: list[tuple[str, str, int]]  # (role, unit path, row)


class _Problems:
    def __init__(self) -> None:
        self.found: list[FieldProblem] = []

    def add(self, file: str, row: int | None, column: str | None, message: str) -> None:
        path = tuple(part for part in (file, None if row is None else str(row), column) if part)
        where = ", ".join(
            part
            for part in (f"row {row}" if row else "", f"column {column}" if column else "")
            if part
        )
        self.found.append(FieldProblem(path, f"{where}: {message}" if where else message))


async def onboard(
    platform: PlatformCaller | None, request: Request, progress: Progress | None = None
) -> Summary:
    """Validates everything, reporting every problem at once (InvalidInputError; its paths are
    [file, row, column]), then creates the tenant, its tree, its people and their grants in one
    transaction."""
    caller = platform_admin.require(platform)
    problems = _Problems()
    profile = _profile(request, problems)
    if not valid_code(request.slug):
        problems.add("slug", None, None, "use 2-40 lowercase letters, digits and hyphens")
    if not 0 < len(request.name.strip()) <= 200:
        problems.add("name", None, None, "give a name of 1 to 200 characters")
    root = f"/{request.slug}"
    units = _org(_rows("orgCsv", request.org_csv, ORG_COLUMNS, problems), root, problems)
    people = _users(
        _rows("usersCsv", request.users_csv, USER_COLUMNS, problems), units, root, problems
    )
    async with caller.database.platform() as session:
        taken = await session.scalar(select(Tenant.id).where(Tenant.slug == request.slug))
    if taken is not None:
        problems.add("slug", None, None, f"a tenant '{request.slug}' exists already")
    if problems.found:
        raise InvalidInputError(problems.found)
    assert profile is not None
    return await _create(caller, request, profile, units, people, progress)


def _profile(request: Request, problems: _Problems) -> Profile | None:
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


def _decode(file: str, data: bytes, problems: _Problems) -> str | None:
    if len(data) > CSV_BYTES:
        problems.add(
            file, None, None, f"the file is {len(data):,} bytes; the limit is {CSV_BYTES:,}"
        )
        return None
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    problems.add(file, None, None, f"the file is neither {ENCODINGS}: save it as CSV UTF-8")
    return None


def _rows(
    file: str, data: bytes, columns: tuple[str, ...], problems: _Problems
) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) of each non-empty row; the header must name `columns`."""
    text = _decode(file, data, problems)
    if text is None:
        return []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [cell.strip().lower() for cell in next(reader, [])]
    missing = [c for c in columns if c not in header]
    if missing:
        problems.add(file, 1, None, f"the header lacks the columns {', '.join(missing)}")
        return []
    rows = []
    for number, cells in enumerate(reader, start=2):
        if any(cell.strip() for cell in cells):
            rows.append(
                (
                    number,
                    {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header)},
                )
            )
    if not rows:
        problems.add(file, None, None, "the file has no rows below its header")
    return rows


def _org(
    rows: list[tuple[int, dict[str, str]]], root: str, problems: _Problems
) -> dict[str, _Unit]:
    """The units by path, each with its path worked out from its parents."""
    file = "orgCsv"
    by_code: dict[str, list[_Unit]] = {}
    units: list[_Unit] = []
    for number, cells in rows:
        unit = _Unit(number, cells["code"], cells["parent"], cells["kind"], cells["name"], {})
        if not valid_code(unit.code):
            problems.add(
                file,
                number,
                "code",
                f"'{unit.code}': use 2-40 lowercase letters, digits and hyphens",
            )
        if unit.kind not in KINDS[1:]:
            problems.add(file, number, "kind", f"'{unit.kind}': kinds are {', '.join(KINDS[1:])}")
        if not 0 < len(unit.name) <= 200:
            problems.add(file, number, "name", "give a name of 1 to 200 characters")
        unit.hours = _hours(file, number, cells, problems)
        for earlier in by_code.get(unit.code, []):
            if unit.kind != "department" or earlier.kind != "department":
                problems.add(
                    file,
                    number,
                    "code",
                    f"duplicate {unit.kind} code '{unit.code}' (first at row {earlier.row})",
                )
                break
        by_code.setdefault(unit.code, []).append(unit)
        units.append(unit)
    by_path: dict[str, _Unit] = {}
    for unit in units:
        parent = root if not unit.parent else _parent(unit, by_code, problems)
        if parent is None:
            continue
        unit.path = child_path(parent, unit.code)
        first = by_path.setdefault(unit.path, unit)
        # Other kinds' duplicate codes are reported above; departments share codes, not paths.
        if first is not unit and unit.kind == first.kind == "department":
            message = f"duplicate unit {unit.path} (first at row {first.row})"
            problems.add(file, unit.row, "code", message)
    return by_path


def _parent(unit: _Unit, by_code: dict[str, list[_Unit]], problems: _Problems) -> str | None:
    """The path of the unit's parent, or None when no unit can be; a parent comes earlier in the
    file, so its path is known."""
    found = [u for u in by_code.get(unit.parent, []) if u.row < unit.row and u.path]
    if len(found) != 1:
        reason = "is no unit of an earlier row" if not found else "names several units"
        problems.add("orgCsv", unit.row, "parent", f"'{unit.parent}' {reason}")
        return None
    parent = found[0]
    if unit.kind in KINDS and KINDS.index(unit.kind) <= KINDS.index(parent.kind):
        problems.add("orgCsv", unit.row, "kind", f"a {unit.kind} cannot lie under a {parent.kind}")
    return parent.path


def _hours(file: str, number: int, cells: dict[str, str], problems: _Problems) -> dict[str, Any]:
    hours: dict[str, Any] = {}
    if cells.get("timezone"):
        hours["timezone"] = cells["timezone"]
    if cells.get("working_hours"):
        hours["working_hours"] = re.split(r"[\s;,、]+", cells["working_hours"])
    if cells.get("working_weekdays"):
        days = re.split(r"[\s;,、]+", cells["working_weekdays"])
        if all(d.isdigit() for d in days):
            hours["working_weekdays"] = [int(d) for d in days]
        else:
            problems.add(file, number, "working_weekdays", "weekdays are numbers 0 (Monday) to 6")
    for found in hours_problems(
        hours.get("timezone"), hours.get("working_hours"), hours.get("working_weekdays")
    ):
        column = {"workingHours": "working_hours", "workingWeekdays": "working_weekdays"}.get(
            found.path[0], found.path[0]
        )
        problems.add(file, number, column, found.message)
    return hours


def _users(
    rows: list[tuple[int, dict[str, str]]], units: dict[str, _Unit], root: str, problems: _Problems
) -> dict[str, _Person]:
    file = "usersCsv"
    codes = {u.code: u.path for u in units.values() if u.kind != "department"}
    people: dict[str, _Person] = {}
    admin = False
    for number, cells in rows:
        login, role, where = cells["login"].lower(), cells["role"], cells["org_unit"]
        if not USERNAME.match(login):
            problems.add(
                file, number, "login", f"'{login}': use 2-80 lowercase letters, digits and . _ @ -"
            )
        if role not in RANKS:
            problems.add(file, number, "role", f"unknown role '{role}' (roles: {', '.join(RANKS)})")
        path = (
            root if not where else (root + where if where.startswith("/") else codes.get(where, ""))
        )
        if path != root and path not in units:
            problems.add(file, number, "org_unit", f"'{where}' is no unit of the org file")
        person = people.setdefault(
            login, _Person(number, login, cells["name"], cells.get("email") or None, [])
        )
        if person.row == number and not 0 < len(person.name) <= 200:
            problems.add(file, number, "name", "give a name of 1 to 200 characters")
        elif cells["name"] and cells["name"] != person.name:
            problems.add(
                file, number, "name", f"'{login}' is named '{person.name}' at row {person.row}"
            )
        if any(r == role and p == path for r, p, _ in person.grants):
            problems.add(
                file, number, "role", f"'{login}' holds {role} at {where or 'the root'} already"
            )
        person.grants.append((role, path, number))
        admin = admin or (role == "tenant_admin" and path == root)
    if rows and not admin:
        problems.add(
            file,
            None,
            "role",
            "no tenant_admin at the brand root: nobody could administer the tenant",
        )
    return people


async def _create(
    caller: PlatformCaller,
    request: Request,
    profile: Profile,
    units: dict[str, _Unit],
    people: dict[str, _Person],
    progress: Progress | None,
) -> Summary:
    report = progress or (lambda stage, done, total: None)
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
        for start in range(0, len(users), 1000):
            session.add_all(users[start : start + 1000])
            await session.flush()
            report("users", min(start + 1000, len(users)), len(users))
        user_ids = {u.username: u.id for u in users}
        session.add_all(
            RoleAssignment(
                tenant_id=tenant.id,
                user_id=user_ids[p.login],
                role=role,
                org_unit_id=ids[path],
                org_path=path,
            )
            for p in people.values()
            for role, path, _row in p.grants
        )
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


def _levels(units: list[_Unit]) -> list[list[_Unit]]:
    """The units by depth, shallowest first: each level's parents exist before it is inserted."""
    levels: dict[int, list[_Unit]] = {}
    for unit in units:
        levels.setdefault(unit.path.count("/"), []).append(unit)
    return [levels[depth] for depth in sorted(levels)]


async def tenants(platform: PlatformCaller | None) -> list[Summary]:
    """Every tenant with its counts, oldest first: the platform admin's list."""
    caller = platform_admin.require(platform)

    def counted(model: Any, *where: Any) -> Any:
        return select(model.tenant_id, func.count()).where(*where).group_by(model.tenant_id)

    async with caller.database.platform() as session:
        found = list((await session.scalars(select(Tenant).order_by(Tenant.id))).all())
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


async def deactivate_tenant(platform: PlatformCaller | None, tenant_id: int) -> Tenant:
    """The tenant's tokens are refused from the next request on (services/caller.py reads
    `active` with the user); its data stays, and the change is in its directory history."""
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
    return tenant
