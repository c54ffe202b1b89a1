"""Profile versions: exports re-import to the same configuration, orders keep the version they
were registered under until migrated, and a version may not strand open orders."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from support import make_world, register

from server.db.models import ProfileVersion, Tenant, WorkOrder, WorkOrderClock, WorkOrderEvent
from server.profiles import Profile, bundled_profile_path, load_profile_dir, parse_profile
from server.profiles.catalogue import POLICIES

SHIPPED = sorted(p.name for p in (POLICIES / "profiles").iterdir() if p.is_dir())


async def tenant_state(database, tenant_id) -> tuple[str, int, int]:
    async with database.platform() as session:
        tenant = await session.get_one(Tenant, tenant_id)
        count = await session.scalar(
            select(func.count()).where(ProfileVersion.tenant_id == tenant_id)
        )
        return tenant.profile_version, tenant.policy_version, count or 0


async def order_row(world, number: str) -> tuple[WorkOrder, dict[str, Any]]:
    async with world.database.platform() as session:
        order = await session.scalar(
            select(WorkOrder).where(
                WorkOrder.tenant_id == world.tenant_id, WorkOrder.number == number
            )
        )
        rows = await session.scalars(
            select(WorkOrderClock).where(WorkOrderClock.work_order_id == order.id)
        )
        return order, {row.name: row.target for row in rows}


def skoda_v2() -> dict[str, Any]:
    documents = copy.deepcopy(dict(parse_profile_dir("skoda").documents))
    documents["profile.yaml"]["version"] = "2026.2"
    return documents


def parse_profile_dir(name: str) -> Profile:
    return load_profile_dir(bundled_profile_path(name))


@pytest.mark.parametrize("name", SHIPPED)
async def test_every_shipped_profile_exported_re_imports_to_the_same_configuration(database, name):
    assert SHIPPED  # the shipped profiles are found at all
    world = await make_world(database, name)
    exported = (await world.gql("admin", "ExportProfile"))["exportProfile"]
    shipped = parse_profile_dir(name)
    assert (exported["name"], exported["version"]) == (shipped.name, shipped.version)
    # The YAML files read back are the documents, and the documents are the configuration.
    files = {f["name"]: yaml.safe_load(f["text"]) for f in exported["files"]}
    assert files == exported["documents"] == dict(shipped.documents)
    assert parse_profile(files) == shipped
    before = await tenant_state(database, world.tenant_id)
    again = await world.gql("admin", "ImportProfile", documents=exported["documents"])
    assert again["importProfile"] == {
        "__typename": "TenantProfile",
        "name": shipped.name,
        "version": shipped.version,
    }
    assert await tenant_state(database, world.tenant_id) == before  # the same: nothing new
    reread = (await world.gql("admin", "ExportProfile"))["exportProfile"]
    assert reread["documents"] == exported["documents"]
    refused = (await world.gql("manager_a", "ExportProfile"))["exportProfile"]
    assert (refused["__typename"], refused["permission"]) == ("NotPermitted", "tenant.profile")


async def test_another_profile_under_a_stored_version_is_refused_and_changes_nothing(database):
    world = await make_world(database)
    documents = skoda_v2()
    documents["profile.yaml"]["version"] = "2026.1"  # the version in force, other documents
    documents["deadlines.yaml"]["warn_before_percent"] = 30
    before = await tenant_state(database, world.tenant_id)
    refused = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert refused["__typename"] == "ValidationError"
    assert [f["path"] for f in refused["fields"]] == [["profile.yaml", "version"]]
    assert await tenant_state(database, world.tenant_id) == before


async def test_an_order_keeps_version_1_deadlines_after_version_2_until_migrated(database):
    world = await make_world(database)
    order = await register(world)  # A4a: grade A, closure 3 working days under 2026.1
    documents = skoda_v2()
    closures = [c for c in documents["deadlines.yaml"]["clocks"] if c["clock"] == "closure"]
    closures[0]["target"], closures[1]["target"] = 1, 2  # A: 1 working day, B: 2 (were 3, 7)
    done = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert (done["__typename"], done["version"]) == ("TenantProfile", "2026.2")
    assert (await tenant_state(database, world.tenant_id))[2] == 2  # both versions kept

    regraded = await world.gql(
        "manager_a",
        "RegradeWorkOrder",
        input={"id": order["id"], "expectedVersion": 1, "grade": "B", "reason": "媒体转入"},
    )
    clocks = regraded["regradeWorkOrder"]["order"]["clocks"]
    assert {c["name"]: c["target"] for c in clocks}["closure"] == 7  # version 1's B deadline
    new = await register(world)
    assert (await order_row(world, new["number"]))[1]["closure"] == 1  # new orders: 2026.2

    dry = (await world.gql("admin", "MigrateOrders", apply=False))["migrateOrders"]
    assert (dry["__typename"], dry["toVersion"], dry["applied"]) == (
        "OrderMigrationReport",
        "2026.2",
        False,
    )
    assert dry["orders"] == [
        {
            "orderId": order["id"],
            "number": order["number"],
            "fromVersion": "2026.1",
            "changes": ["closure now 2 working_days"],
        }
    ]
    row, targets = await order_row(world, order["number"])
    assert (row.profile_version, row.version, targets["closure"]) == ("2026.1", 2, 7)

    refused = (await world.gql("manager_a", "MigrateOrders", apply=True))["migrateOrders"]
    assert (refused["__typename"], refused["permission"]) == ("NotPermitted", "tenant.profile")
    applied = (await world.gql("admin", "MigrateOrders", apply=True))["migrateOrders"]
    assert applied["applied"] and applied["orders"] == dry["orders"]
    row, targets = await order_row(world, order["number"])
    assert (row.profile_version, row.version, targets["closure"]) == ("2026.2", 3, 2)
    async with database.platform() as session:
        kinds = await session.scalars(
            select(WorkOrderEvent.kind).where(WorkOrderEvent.work_order_id == row.id)
        )
        assert "profile_migrated" in list(kinds)
    audit = (await world.gql("admin", "DirectoryHistory"))["directoryHistory"]["events"]
    assert [(e["kind"], e["target"]) for e in audit[:2]] == [
        ("orders.migrated", "2026.2"),
        ("profile.imported", "2026.2"),
    ]
    again = (await world.gql("admin", "MigrateOrders", apply=True))["migrateOrders"]
    assert again["orders"] == []


def rename_state(documents: dict[str, Any], old: str, new: str) -> None:
    workflow = documents["workflow.yaml"]
    for state in workflow["states"]:
        if state["name"] == old:
            state["name"] = new
    workflow["initial"] = new if workflow["initial"] == old else workflow["initial"]
    for step in workflow["transitions"]:
        step["from"] = [new if s == old else s for s in step["from"]]
        step["to"] = new if step["to"] == old else step["to"]


async def test_a_version_dropping_a_state_in_use_is_refused_with_the_orders_named(database):
    world = await make_world(database)
    first, second = await register(world), await register(world)
    documents = skoda_v2()
    rename_state(documents, "unprocessed", "new")
    before = await tenant_state(database, world.tenant_id)
    refused = (await world.gql("admin", "ImportProfile", documents=documents))["importProfile"]
    assert refused["__typename"] == "ValidationError"
    [problem] = refused["fields"]
    assert problem["path"] == ["mapping", "states", "unprocessed"]
    assert first["number"] in problem["message"] and second["number"] in problem["message"]
    assert await tenant_state(database, world.tenant_id) == before

    wrong = {"states": {"unprocessed": "nowhere"}}
    refused = await world.gql("admin", "ImportProfile", documents=documents, mapping=wrong)
    fields = refused["importProfile"]["fields"]
    assert [f["path"] for f in fields] == [["mapping", "states", "unprocessed"]]
    assert await tenant_state(database, world.tenant_id) == before

    mapping = {"states": {"unprocessed": "new"}}
    done = await world.gql("admin", "ImportProfile", documents=documents, mapping=mapping)
    assert done["importProfile"]["version"] == "2026.2"
    # Not migrated yet: the first order is still run by version 1's workflow.
    reviewed = await world.gql(
        "manager_a",
        "TransitionWorkOrder",
        input={"id": first["id"], "expectedVersion": 1, "transition": "review"},
    )
    assert reviewed["transitionWorkOrder"]["order"]["state"] == "in_progress"
    applied = (await world.gql("admin", "MigrateOrders", apply=True))["migrateOrders"]
    changes = {o["number"]: o["changes"] for o in applied["orders"]}
    assert changes == {first["number"]: [], second["number"]: ["state unprocessed -> new"]}
    row, _ = await order_row(world, second["number"])
    assert (row.state, row.profile_version) == ("new", "2026.2")
