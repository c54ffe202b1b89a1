"""Tenants: onboarding from a profile, and each tenant's runtime (profile and policy) cached per
version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import DirectoryEvent, OrgUnit, Tenant
from server.db.session import Database
from server.domain.calendar import BusinessCalendar, DayRules
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.tree import valid_code
from server.domain.workflow import State
from server.profiles import Profile, parse_profile
from server.security.authz import PolicyBook
from server.services import calendars, profile_versions
from server.services.calendars import UnitHours, calendar_for
from server.services.profile_versions import PLATFORM, Actor


class Versioned(Protocol):
    """An order, or the columns of one, naming the profile version it is run by."""

    profile_version: str


class Staged(Versioned, Protocol):
    """An order, or its columns, with its workflow state."""

    state: str


class Placed(Versioned, Protocol):
    """An order, or its columns, with the org path of its dealer."""

    org_path: str


@dataclass(frozen=True)
class TenantRuntime:
    tenant_id: int
    slug: str
    name: str
    policy_version: int
    profile: Profile
    book: PolicyBook
    days: DayRules
    unit_hours: Mapping[str, UnitHours]
    # The org tree by id: every page shows each order's dealer, and units change only through
    # organisation.add_org_unit, which moves policy_version on like any runtime change.
    units: Mapping[int, OrgUnit]
    # Every stored version by its name: an order keeps its own until it is migrated.
    versions: Mapping[str, Profile]

    def profile_of(self, order: Versioned) -> Profile:
        """The profile that runs this order: the version it was registered under (or last
        migrated to). Everything that reads the profile for an existing order asks here."""
        return self.versions.get(order.profile_version, self.profile)

    def state_of(self, order: Staged) -> State:
        """The order's state as its own version defines it: a newer version may have renamed it."""
        return self.profile_of(order).workflow.state(order.state)

    def calendar_of(self, order: Placed) -> BusinessCalendar:
        """The calendar the order's deadlines run on: its dealer's, under its own version."""
        return calendar_for(self.profile_of(order), self.days, self.unit_hours, order.org_path)

    def calendar(self, path: str) -> BusinessCalendar:
        """The calendar at an org unit under the profile in force (for an order: calendar_of)."""
        return calendar_for(self.profile, self.days, self.unit_hours, path)


def cached_runtime(database: Database, tenant_id: int, policy_version: int) -> TenantRuntime | None:
    """The tenant's runtime if this process holds it at this version: no database work."""
    cached = database.runtimes.get(tenant_id)
    return cached if cached is not None and cached.policy_version == policy_version else None


async def runtime(database: Database, tenant_id: int, policy_version: int) -> TenantRuntime:
    """The tenant's parsed profile and policy; rebuilt when another process imported a new
    profile."""
    cached = cached_runtime(database, tenant_id, policy_version)
    if cached is not None:
        return cached
    # A burst of requests after start-up or a profile import would each rebuild it: one does.
    async with database.runtime_lock(tenant_id):
        return cached_runtime(database, tenant_id, policy_version) or await _load_runtime(
            database, tenant_id
        )


async def _load_runtime(database: Database, tenant_id: int) -> TenantRuntime:
    async with database.platform() as session:
        tenant = await session.get_one(Tenant, tenant_id)
    async with database.reader(tenant_id) as session:
        days, unit_hours = (
            await calendars.load_days(session),
            await calendars.load_unit_hours(session),
        )
        units = {unit.id: unit for unit in await session.scalars(select(OrgUnit))}
        versions = await profile_versions.load(session, tenant_id)
    profile = parse_profile(tenant.profile_documents)
    fresh = TenantRuntime(
        tenant_id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        policy_version=tenant.policy_version,
        profile=profile,
        book=PolicyBook(str(tenant.id), profile.policy_add, profile.policy_remove),
        days=days,
        unit_hours=unit_hours,
        units=units,
        versions=versions | {profile.version: profile},
    )
    database.runtimes[tenant_id] = fresh
    return fresh


async def create_tenant(database: Database, slug: str, name: str, profile: Profile) -> int:
    """A new tenant with its brand root org unit (path /<slug>). Validated before anything is
    written."""
    if not valid_code(slug):
        raise InvalidInputError(
            [FieldProblem(("slug",), "use 2–40 lowercase letters, digits and hyphens")]
        )
    async with database.platform() as session, session.begin():
        tenant, _root = await insert_tenant(session, slug, name, profile)
        return tenant.id


async def insert_tenant(
    session: AsyncSession, slug: str, name: str, profile: Profile
) -> tuple[Tenant, OrgUnit]:
    """The tenant, its root unit and its statutory calendar, in the caller's platform transaction;
    a slug taken (by then) is refused."""
    if await session.scalar(select(Tenant.id).where(Tenant.slug == slug)) is not None:
        raise InvalidInputError([FieldProblem(("slug",), f"a tenant '{slug}' exists already")])
    tenant = Tenant(
        slug=slug,
        name=name,
        profile_name=profile.name,
        profile_version=profile.version,
        profile_documents=dict(profile.documents),
        created_at=datetime.now(UTC),
    )
    session.add(tenant)
    await session.flush()
    await profile_versions.store(
        session, tenant.id, profile, mapping={}, actor=PLATFORM, at=tenant.created_at
    )
    root = OrgUnit(tenant_id=tenant.id, kind="brand", code=slug, name=name, path=f"/{slug}")
    session.add(root)
    await calendars.seed_statutory(session, tenant.id)
    await session.flush()
    return tenant, root


async def replace_profile(
    database: Database,
    tenant_id: int,
    documents: Mapping[str, Any],
    *,
    mapping: Any = None,
    actor: Actor = PLATFORM,
) -> Profile:
    """Validate the documents completely, then store them as the tenant's new version; a profile
    with errors writes nothing. The documents of the version in force again change nothing. A
    version that drops a code open orders use is refused unless `mapping` maps it. Bumping the
    policy version makes every process reload the tenant's runtime."""
    profile = parse_profile(documents)
    checked = profile_versions.check_mapping(mapping, profile)
    async with database.platform() as session, session.begin():
        tenant = await session.get_one(Tenant, tenant_id)
        stored = await profile_versions.taken(session, tenant_id, profile.version)
        if stored is not None:
            if tenant.profile_version == profile.version and stored.documents == dict(
                profile.documents
            ):
                return profile
            message = f"version '{profile.version}' exists already: give this one a new version"
            raise InvalidInputError([FieldProblem(("profile.yaml", "version"), message)])
        current = parse_profile(tenant.profile_documents)
        versions = await profile_versions.load(session, tenant_id)
        orders = await profile_versions.open_orders(session, tenant_id, versions, current)
        profile_versions.refuse_drops(orders, profile, checked)
        now = datetime.now(UTC)
        row = await profile_versions.store(
            session, tenant_id, profile, mapping=checked, actor=actor, at=now
        )
        session.add(
            DirectoryEvent(
                tenant_id=tenant_id,
                at=now,
                actor_id=actor.user_id,
                actor=actor.name,
                kind="profile.imported",
                target=profile.version,
                data={"number": row.number, "previous": tenant.profile_version, "mapping": checked},
            )
        )
        tenant.profile_name = profile.name
        tenant.profile_version = profile.version
        tenant.profile_documents = dict(profile.documents)
        tenant.policy_version += 1
    return profile


async def tenant_id_by_slug(database: Database, slug: str) -> int | None:
    async with database.platform() as session:
        return await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
