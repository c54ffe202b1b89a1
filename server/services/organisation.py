"""The org tree, its people and their grants (onboarding, the demo tenant, tenant
administration)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from server.db.models import OrgUnit, RoleAssignment, User
from server.db.session import TenantDb
from server.domain.calendar import WorkingHours
from server.domain.errors import FieldProblem, InvalidInputError, NotFoundError
from server.domain.tree import child_path, valid_code
from server.security.authz import known_roles
from server.services.calendars import bump_runtime

KINDS = ("brand", "region", "dealer", "department")


async def add_org_unit(db: TenantDb, parent_path: str, kind: str, code: str, name: str) -> OrgUnit:
    problems = []
    if kind not in KINDS:
        problems.append(
            FieldProblem(("kind",), f"unknown kind '{kind}' (kinds: {', '.join(KINDS)})")
        )
    if not valid_code(code):
        problems.append(FieldProblem(("code",), "use 2–40 lowercase letters, digits and hyphens"))
    if problems:
        raise InvalidInputError(problems)
    async with db.write() as session:
        parent = await session.scalar(select(OrgUnit).where(OrgUnit.path == parent_path))
        if parent is None:
            raise NotFoundError("org unit", parent_path)
        unit = OrgUnit(
            parent_id=parent.id, kind=kind, code=code, name=name, path=child_path(parent.path, code)
        )
        session.add(unit)
        await bump_runtime(session, db.tenant_id)  # every process's runtime holds the org tree
    return unit


async def add_user(
    db: TenantDb, username: str, display_name: str, email: str | None = None
) -> User:
    async with db.write() as session:
        user = User(username=username, display_name=display_name, email=email)
        session.add(user)
    return user


async def grant(db: TenantDb, user_id: int, role: str, path: str) -> None:
    if role not in known_roles() or role == "platform_admin":
        raise InvalidInputError([FieldProblem(("role",), f"unknown tenant role '{role}'")])
    async with db.write() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.path == path))
        if unit is None:
            raise NotFoundError("org unit", path)
        session.add(
            RoleAssignment(user_id=user_id, role=role, org_unit_id=unit.id, org_path=unit.path)
        )


async def units(db: TenantDb, kind: str) -> list[OrgUnit]:
    async with db.read() as session:
        return list(
            (
                await session.scalars(
                    select(OrgUnit).where(OrgUnit.kind == kind).order_by(OrgUnit.path)
                )
            ).all()
        )


async def user_ids(db: TenantDb) -> dict[str, int]:
    async with db.read() as session:
        return {
            name: id_ for id_, name in (await session.execute(select(User.id, User.username))).all()
        }


async def set_hours(
    db: TenantDb,
    path: str,
    timezone: str | None,
    working_hours: list[str] | None,
    working_weekdays: list[int] | None,
) -> None:
    """An org unit's own business time (None: inherit). Every process reloads the tenant's
    calendar."""
    problems = hours_problems(timezone, working_hours, working_weekdays)
    if problems:
        raise InvalidInputError(problems)
    async with db.write() as session:
        unit = await session.scalar(select(OrgUnit).where(OrgUnit.path == path))
        if unit is None:
            raise NotFoundError("org unit", path)
        unit.timezone, unit.working_hours, unit.working_weekdays = (
            timezone,
            working_hours,
            working_weekdays,
        )
        await bump_runtime(session, db.tenant_id)


def hours_problems(
    timezone: str | None, hours: list[str] | None, weekdays: list[int] | None
) -> list[FieldProblem]:
    problems = []
    if timezone is not None:
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(
                FieldProblem(
                    ("timezone",),
                    f"unknown timezone '{timezone}' (use an IANA name such as Asia/Shanghai)",
                )
            )
    if hours is not None:
        try:
            WorkingHours.parse(hours)
        except ValueError as exc:
            problems.append(FieldProblem(("workingHours",), str(exc)))
    if weekdays is not None and not set(weekdays) <= set(range(7)):
        problems.append(FieldProblem(("workingWeekdays",), "weekdays are 0 (Monday) to 6 (Sunday)"))
    return problems
