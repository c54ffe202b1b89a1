"""The benchmark tenant's org tree and people, made through the product's own services.

Brand HQ holds the operator, the SE and the admin; each region an RBO; each dealer a care
specialist and a care manager, who become the orders' primary and secondary handlers.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from server.db.session import Database
from server.profiles import Profile
from server.services import organisation, tenancy

HQ_USERS = {"operator": "operator", "se": "se", "admin": "tenant_admin"}
PARALLEL_REGIONS = 8  # below the engine's pool size (5 + 10 overflow)


@dataclass
class Dealer:
    id: int
    path: str
    care_id: int
    manager_id: int


@dataclass
class Org:
    tenant_id: int
    users: dict[str, int]  # HQ users by username
    dealers: list[Dealer]


async def build(database: Database, slug: str, profile: Profile, regions: int, dealers: int) -> Org:
    tenant_id = await tenancy.create_tenant(database, slug, f"Benchmark {slug}", profile)
    users = {
        name: await _person(database, tenant_id, name, role, f"/{slug}")
        for name, role in HQ_USERS.items()
    }
    gate = asyncio.Semaphore(PARALLEL_REGIONS)

    async def one(r: int) -> list[Dealer]:
        async with gate:
            return await _region(database, tenant_id, slug, r, dealers)

    per_region = await asyncio.gather(*(one(r) for r in range(1, regions + 1)))
    return Org(tenant_id, users, [d for region in per_region for d in region])


async def _region(
    database: Database, tenant_id: int, slug: str, r: int, count: int
) -> list[Dealer]:
    db = database.tenant(tenant_id)
    code = f"r{r:02d}"
    region = await organisation.add_org_unit(db, f"/{slug}", "region", code, f"第{r}大区")
    await _person(database, tenant_id, f"rbo-{code}", "rbo", region.path)
    made = []
    for d in range(1, count + 1):
        unit = await organisation.add_org_unit(
            db, region.path, "dealer", f"d{r:02d}{d:03d}", f"斯柯达 {r:02d}-{d:03d} 店"
        )
        care = await _person(database, tenant_id, f"care-{unit.code}", "care_specialist", unit.path)
        manager = await _person(database, tenant_id, f"manager-{unit.code}", "manager", unit.path)
        made.append(Dealer(unit.id, unit.path, care, manager))
    await db.close()
    return made


async def _person(database: Database, tenant_id: int, username: str, role: str, path: str) -> int:
    db = database.tenant(tenant_id)
    user = await organisation.add_user(db, username, username.replace("-", " ").title())
    await organisation.grant(db, user.id, role, path)
    await db.close()
    return user.id
