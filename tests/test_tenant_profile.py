"""Onboarding and re-importing profiles: a profile with errors is refused whole and changes
nothing."""

from __future__ import annotations

import copy

import pytest
from sqlalchemy import select
from support import make_world, register

from schema.ids import encode
from server.db.models import Tenant
from server.profiles import ProfileInvalidError, bundled_profile_path, read_profile_dir
from server.services import organisation, tenancy


async def tenant_row(database, tenant_id):
    async with database.platform() as session:
        row = await session.scalar(select(Tenant).where(Tenant.id == tenant_id))
        return row.profile_version, row.policy_version, row.profile_documents


async def test_a_profile_with_errors_is_refused_with_all_of_them_and_the_tenant_is_unchanged(
    database,
):
    world = await make_world(database)
    before = await tenant_row(database, world.tenant_id)
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    documents["profile.yaml"]["version"] = "2027.1"
    documents["profile.yaml"]["timezone"] = "Asia/Shangai"
    documents["workflow.yaml"]["transitions"][3]["to"] = "closd"
    documents["categories.yaml"]["categories"][0]["grade"] = "Z"
    with pytest.raises(ProfileInvalidError) as refused:
        await tenancy.replace_profile(database, world.tenant_id, documents)
    errors = refused.value.errors
    assert any(
        e.startswith("workflow.yaml: transitions[3].to: unknown state 'closd'") for e in errors
    )
    assert any(
        e.startswith("profile.yaml: timezone: unknown timezone 'Asia/Shangai'") for e in errors
    )
    assert any(e.startswith("categories.yaml: categories[0].grade:") for e in errors)
    assert await tenant_row(database, world.tenant_id) == before


async def test_a_valid_profile_is_applied_and_every_process_reloads_it(database):
    world = await make_world(database)
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    documents["profile.yaml"]["version"] = "2026.2"
    documents["policy.yaml"] = {
        "add": [],
        "remove": [{"role": "operator", "permission": "customer.pii"}],
    }
    _, before, _ = await tenant_row(database, world.tenant_id)
    await tenancy.replace_profile(database, world.tenant_id, documents)
    version, policy_version, stored = await tenant_row(database, world.tenant_id)
    assert version == "2026.2" and policy_version == before + 1 and stored["policy.yaml"]["remove"]
    caller = await world.caller("operator")
    await caller.db.close()
    assert caller.profile.version == "2026.2"
    assert not caller.authz.check("customer.pii", world.path("/east/dlr-a"))
    assert caller.authz.check("workorder.read", world.path("/east/dlr-a"))


async def test_a_new_org_unit_reaches_the_runtime_every_page_reads_dealers_from(database):
    world = await make_world(database)
    await world.gql("se", "Worklist", first=5)  # this process now holds the tenant's runtime
    unit = await organisation.add_org_unit(
        database.tenant(world.tenant_id), world.path("/west"), "dealer", "dlr-new", "新店"
    )
    order = await register(world, dealerId=encode("OrgUnit", unit.id))
    assert order["dealer"] == {
        "id": encode("OrgUnit", unit.id),
        "name": "新店",
        "path": world.path("/west/dlr-new"),
    }
    page = (await world.gql("se", "Worklist", first=5))["workOrders"]["edges"]
    assert page[0]["node"]["dealer"]["name"] == "新店"
