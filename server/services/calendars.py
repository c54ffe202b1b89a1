"""Each tenant's business calendar: statutory days from the holiday library, kept in the database
so a tenant admin can correct or extend them, plus the profile's own days and per-org-unit hours."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.adapters.holiday_source import statutory_days, supported_years
from server.db import binding
from server.db.models import CalendarDay, CalendarYear, OrgUnit, Tenant
from server.domain.calendar import BusinessCalendar, DayRules, WorkingHours
from server.profiles import Profile

# Enough history for orders registered late and reports on past periods.
FIRST_SEEDED_YEAR = 2024


@dataclass(frozen=True)
class UnitHours:
    """An org unit's own settings; None means: inherit from the unit above."""

    timezone: str | None
    working_hours: tuple[str, ...] | None
    working_weekdays: frozenset[int] | None


async def seed_statutory(session: AsyncSession, tenant_id: int) -> None:
    """Load every published year from FIRST_SEEDED_YEAR on into a new tenant's calendar."""
    rules = statutory_days(range(FIRST_SEEDED_YEAR, supported_years().stop))
    await store_days(session, tenant_id, rules, "statutory")


async def store_days(session: AsyncSession, tenant_id: int, rules: DayRules, source: str) -> None:
    """Replace the statutory days of rules.known_years and mark those years loaded."""
    years = sorted(rules.known_years)
    await session.execute(
        delete(CalendarDay)
        .where(CalendarDay.tenant_id == tenant_id, CalendarDay.source == "statutory")
        .where(CalendarDay.day >= date(years[0], 1, 1), CalendarDay.day <= date(years[-1], 12, 31))
    )
    for kind, days in (("holiday", rules.holidays), ("workday", rules.workdays)):
        session.add_all(
            CalendarDay(tenant_id=tenant_id, day=d, kind=kind, source="statutory")
            for d in sorted(days)
        )
    for year in years:
        await session.merge(
            CalendarYear(tenant_id=tenant_id, year=year, source=source, loaded_at=datetime.now(UTC))
        )


async def load_days(session: AsyncSession) -> DayRules:
    days = (await session.execute(select(CalendarDay.day, CalendarDay.kind))).all()
    years = (await session.scalars(select(CalendarYear.year))).all()
    return DayRules(
        holidays=frozenset(d for d, kind in days if kind == "holiday"),
        workdays=frozenset(d for d, kind in days if kind == "workday"),
        known_years=frozenset(years),
    )


async def load_unit_hours(session: AsyncSession) -> dict[str, UnitHours]:
    overriding = (
        OrgUnit.timezone.is_not(None)
        | OrgUnit.working_hours.is_not(None)
        | OrgUnit.working_weekdays.is_not(None)
    )
    units = (await session.scalars(select(OrgUnit).where(overriding))).all()
    return {
        u.path: UnitHours(
            u.timezone,
            tuple(u.working_hours) if u.working_hours else None,
            frozenset(u.working_weekdays) if u.working_weekdays is not None else None,
        )
        for u in units
    }


def calendar_for(
    profile: Profile, days: DayRules, units: Mapping[str, UnitHours], path: str
) -> BusinessCalendar:
    """The calendar at an org unit: the nearest setting up the tree, else the profile's."""
    chain = [units[p] for p in _ancestors(path) if p in units]
    timezone = next((u.timezone for u in chain if u.timezone), profile.timezone)
    hours = next((u.working_hours for u in chain if u.working_hours), profile.working_hours)
    weekdays = next(
        (u.working_weekdays for u in chain if u.working_weekdays is not None), days.working_weekdays
    )
    extras = DayRules(
        holidays=profile.extra_holidays, workdays=profile.extra_workdays, known_years=frozenset()
    )
    rules = DayRules(weekdays, days.holidays, days.workdays, days.known_years).merged(extras)
    return BusinessCalendar(ZoneInfo(timezone), WorkingHours.parse(hours), rules)


def _ancestors(path: str) -> Iterable[str]:
    """/a/b/c, /a/b, /a: nearest first."""
    parts = path.strip("/").split("/")
    return ("/" + "/".join(parts[:n]) for n in range(len(parts), 0, -1))


async def bump_runtime(session: AsyncSession, tenant_id: int) -> None:
    """Every process rebuilds the tenant's runtime when its version moves. On PostgreSQL a
    tenant's transaction may not write its tenant row: one function moves the version alone
    (docs/database-roles.md); the statement below is the same change where no role stands guard."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text(binding.BUMP_POLICY_VERSION))
        return
    await session.execute(
        update(Tenant)
        .where(Tenant.id == tenant_id)
        .values(policy_version=Tenant.policy_version + 1)
        .execution_options(synchronize_session=False)
    )
