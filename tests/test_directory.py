"""The directory over GraphQL: the org tree and the people each caller may see, and the tenant
admin's changes to them (audited; refused whole, changing nothing)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from support import make_world

from schema.ids import encode
from server.db.models import DirectoryEvent, OrgUnit, RoleAssignment, Tenant, User
from server.services.caller import UnknownPrincipalError


async def _count(world, model) -> int:
    async with world.database.reader(world.tenant_id) as session:
        return await session.scalar(select(func.count()).select_from(model))


async def _policy_version(world) -> int:
    async with world.database.platform() as session:
        return await session.scalar(
            select(Tenant.policy_version).where(Tenant.id == world.tenant_id)
        )


async def test_the_dealer_and_handler_pickers_show_only_what_the_caller_may_see(database):
    world = await make_world(database)
    dealers = (await world.gql("operator", "OrgUnits", kind="dealer"))["orgUnits"]["nodes"]
    assert [d["code"] for d in dealers] == ["dlr-a", "dlr-b", "dlr-c"]
    seen = (await world.gql("manager_a", "OrgUnits"))["orgUnits"]["nodes"]
    assert [u["path"] for u in seen] == [world.path("/east/dlr-a")]
    east = (await world.gql("rbo_east", "OrgUnits"))["orgUnits"]
    assert [u["code"] for u in east["nodes"]] == ["east", "dlr-a", "dlr-b"]
    first = (await world.gql("operator", "OrgUnits", first=2))["orgUnits"]
    rest = (await world.gql("operator", "OrgUnits", after=first["pageInfo"]["endCursor"]))[
        "orgUnits"
    ]
    assert first["pageInfo"]["hasNextPage"] and not rest["pageInfo"]["hasNextPage"]
    assert len(first["nodes"]) + len(rest["nodes"]) == 6  # root, 2 regions, 3 dealers

    handlers = (await world.gql("manager_a", "Users", orgUnitId=world.dealer_gid("a")))["users"]
    assert [n["user"]["username"] for n in handlers["nodes"]] == ["care_a", "manager_a", "gm_a"]
    cares = (await world.gql("rbo_east", "Users", role="care_specialist"))["users"]["nodes"]
    assert [n["user"]["username"] for n in cares] == ["care_a", "care_b"]
    assert cares[0]["grants"] == [
        {
            "role": "care_specialist",
            "orgUnit": {"id": world.dealer_gid("a"), "path": world.path("/east/dlr-a")},
        }
    ]
    # The brand-level people are outside a dealer manager's sight, and so are their grants.
    names = [
        n["user"]["username"] for n in (await world.gql("manager_a", "Users"))["users"]["nodes"]
    ]
    assert names == ["care_a", "manager_a", "gm_a"]
    everyone = (await world.gql("admin", "Users", first=100))["users"]["nodes"]
    assert len(everyone) == 11
    refused = (await world.gql("manager_a", "Users", orgUnitId=world.dealer_gid("b"), role="king"))[
        "users"
    ]
    assert refused["__typename"] == "ValidationError"
    assert sorted(f["path"] for f in refused["fields"]) == [["orgUnitId"], ["role"]]


async def test_the_tenant_admin_adds_and_changes_units_audited_and_every_process_reloads(database):
    world = await make_world(database)
    root = encode("OrgUnit", (await _root_id(world)))
    before = await _policy_version(world)
    hours = {"timezone": "Asia/Urumqi", "workingHours": ["09:30-12:00", "13:30-18:30"]}
    added = (
        await world.gql(
            "admin",
            "AddOrgUnit",
            input={
                "parentId": root,
                "kind": "region",
                "code": "north",
                "name": "华北",
                "hours": hours,
            },
        )
    )["addOrgUnit"]
    assert added["__typename"] == "OrgUnitPayload", added
    unit = added["orgUnit"]
    assert (unit["path"], unit["timezone"], unit["workingHours"]) == (
        world.path("/north"),
        "Asia/Urumqi",
        ["09:30-12:00", "13:30-18:30"],
    )
    assert await _policy_version(world) == before + 1
    caller = await world.caller("operator")
    assert caller.tenant.calendar(world.path("/north")).tz.key == "Asia/Urumqi"
    await caller.db.close()
    dealer = (
        await world.gql(
            "admin",
            "AddOrgUnit",
            input={"parentId": unit["id"], "kind": "dealer", "code": "dlr-n", "name": "北京"},
        )
    )["addOrgUnit"]["orgUnit"]
    assert dealer["timezone"] is None  # inherited
    changed = (
        await world.gql(
            "admin",
            "UpdateOrgUnit",
            input={"id": unit["id"], "hours": {"timezone": None}, "name": "North"},
        )
    )["updateOrgUnit"]["orgUnit"]
    assert (changed["name"], changed["timezone"], changed["workingHours"]) == (
        "North",
        None,
        ["09:30-12:00", "13:30-18:30"],
    )

    units, version = await _count(world, OrgUnit), await _policy_version(world)
    bad = {
        "parentId": world.dealer_gid("a"),
        "kind": "region",
        "code": "Bad Code",
        "name": "x",
        "hours": {"timezone": "Asia/Shangai", "workingHours": ["9-18"]},
    }
    refused = (await world.gql("admin", "AddOrgUnit", input=bad))["addOrgUnit"]
    assert refused["__typename"] == "ValidationError"
    assert sorted(f["path"][0] for f in refused["fields"]) == [
        "code",
        "kind",
        "timezone",
        "workingHours",
    ]
    duplicate = {"parentId": unit["id"], "kind": "dealer", "code": "dlr-a", "name": "again"}
    assert (await world.gql("admin", "AddOrgUnit", input=duplicate))["addOrgUnit"]["fields"][0][
        "path"
    ] == ["code"]
    outside = {**duplicate, "code": "dlr-z"}  # under a region the manager cannot see
    manager = (await world.gql("manager_a", "AddOrgUnit", input=outside))["addOrgUnit"]
    assert manager == {
        "__typename": "NotFound",
        "message": "No org unit with this id is visible to you.",
        "id": unit["id"],
    }
    own = {"parentId": world.dealer_gid("a"), "kind": "department", "code": "cs", "name": "客服"}
    manager = (await world.gql("manager_a", "AddOrgUnit", input=own))["addOrgUnit"]
    assert (manager["__typename"], manager["permission"]) == ("NotPermitted", "tenant.org")
    assert (await _count(world, OrgUnit), await _policy_version(world)) == (units, version)

    events = (await world.gql("admin", "DirectoryHistory"))["directoryHistory"]["events"]
    assert [(e["kind"], e["target"], e["actor"]) for e in events] == [
        ("org_unit.updated", world.path("/north"), "admin"),
        ("org_unit.added", world.path("/north/dlr-n"), "admin"),
        ("org_unit.added", world.path("/north"), "admin"),
    ]


async def _root_id(world) -> int:
    async with world.database.reader(world.tenant_id) as session:
        return await session.scalar(select(OrgUnit.id).where(OrgUnit.kind == "brand"))


async def test_the_tenant_admin_adds_grants_revokes_and_deactivates_people(database):
    world = await make_world(database)
    dlr_b = world.dealer_gid("b")
    made = (
        await world.gql(
            "admin",
            "AddUser",
            input={
                "username": "care-new",
                "displayName": "新客服",
                "grants": [{"role": "care_specialist", "orgUnitId": dlr_b}],
            },
        )
    )["addUser"]
    assert made["__typename"] == "MemberPayload", made
    user_id = made["member"]["user"]["id"]
    handlers = (await world.gql("manager_b", "Users", role="care_specialist"))["users"]["nodes"]
    assert "care-new" in [n["user"]["username"] for n in handlers]
    taken = (
        await world.gql("admin", "AddUser", input={"username": "care-new", "displayName": "x"})
    )["addUser"]
    assert taken["fields"][0]["path"] == ["username"]

    granted = (
        await world.gql(
            "admin", "GrantRole", input={"userId": user_id, "role": "manager", "orgUnitId": dlr_b}
        )
    )["grantRole"]
    assert sorted(g["role"] for g in granted["member"]["grants"]) == ["care_specialist", "manager"]
    again = (
        await world.gql(
            "admin", "GrantRole", input={"userId": user_id, "role": "manager", "orgUnitId": dlr_b}
        )
    )["grantRole"]
    assert again["__typename"] == "ValidationError"
    revoked = (
        await world.gql(
            "admin",
            "RevokeRole",
            input={"userId": user_id, "role": "care_specialist", "orgUnitId": dlr_b},
        )
    )["revokeRole"]
    assert [g["role"] for g in revoked["member"]["grants"]] == ["manager"]

    new_id = int(await _user_id(world, "care-new"))
    world.users["care-new"] = new_id
    await (await world.caller("care-new")).db.close()  # their token works
    gone = (await world.gql("admin", "DeactivateUser", input={"id": user_id}))["deactivateUser"]
    assert gone["member"]["active"] is False
    with pytest.raises(UnknownPrincipalError):
        await world.caller("care-new")
    listed = (await world.gql("admin", "Users", first=100))["users"]["nodes"]
    assert "care-new" not in [n["user"]["username"] for n in listed]
    kinds = [
        e["kind"]
        for e in (await world.gql("admin", "DirectoryHistory"))["directoryHistory"]["events"]
    ]
    assert kinds == ["user.deactivated", "role.revoked", "role.granted", "user.added"]
    myself = (await world.gql("admin", "DeactivateUser", input={"id": world.user_gid("admin")}))[
        "deactivateUser"
    ]
    assert myself["__typename"] == "ValidationError"


async def _user_id(world, username: str) -> int:
    async with world.database.reader(world.tenant_id) as session:
        return await session.scalar(select(User.id).where(User.username == username))


async def test_granting_is_never_a_way_up(database):
    """A gm allowed by the tenant's policy to manage people at their dealer may grant up to gm
    there, and nothing above it nor anywhere else; nothing changes when refused."""
    world = await make_world(
        database, policy={"add": [{"role": "gm", "permission": "tenant.users"}], "remove": []}
    )
    a, b = world.dealer_gid("a"), world.dealer_gid("b")
    user = world.user_gid("care_a")
    done = (
        await world.gql(
            "gm_a", "GrantRole", input={"userId": user, "role": "manager", "orgUnitId": a}
        )
    )["grantRole"]
    assert done["__typename"] == "MemberPayload"
    grants, events = await _count(world, RoleAssignment), await _count(world, DirectoryEvent)
    for role, where in (("rbo", a), ("tenant_admin", a), ("care_specialist", b)):
        refused = (
            await world.gql(
                "gm_a", "GrantRole", input={"userId": user, "role": role, "orgUnitId": where}
            )
        )["grantRole"]
        assert (refused["__typename"], refused["permission"]) == ("NotPermitted", "tenant.users"), (
            role,
            refused,
        )
    refused = (
        await world.gql(
            "gm_a",
            "RevokeRole",
            input={
                "userId": world.user_gid("rbo_east"),
                "role": "rbo",
                "orgUnitId": encode("OrgUnit", world.units["/east"]),
            },
        )
    )["revokeRole"]
    assert refused["__typename"] == "NotFound"  # the rbo works nowhere the gm manages people
    add = {"username": "sneaky", "displayName": "x", "grants": [{"role": "se", "orgUnitId": a}]}
    assert (await world.gql("gm_a", "AddUser", input=add))["addUser"][
        "__typename"
    ] == "NotPermitted"
    assert (await world.gql("manager_a", "AddUser", input={**add, "grants": []}))["addUser"][
        "__typename"
    ] == "NotPermitted"
    assert (await _count(world, RoleAssignment), await _count(world, DirectoryEvent)) == (
        grants,
        events,
    )
    assert await _user_id(world, "sneaky") is None


async def test_another_tenants_ids_answer_exactly_like_ids_of_nothing(database):
    x, y = await make_world(database), await make_world(database)
    nothing_user, nothing_unit = encode("User", 2_000_000_000), encode("OrgUnit", 2_000_000_000)
    foreign_user, foreign_unit = y.user_gid("care_a"), y.dealer_gid("a")
    own_unit = x.dealer_gid("a")

    for user, unit in ((nothing_user, own_unit), (foreign_user, own_unit)):
        answer = (
            await x.gql(
                "admin", "GrantRole", input={"userId": user, "role": "operator", "orgUnitId": unit}
            )
        )["grantRole"]
        assert answer["__typename"] == "NotFound"
    results = {}
    for name, (user, unit) in {
        "nothing": (nothing_user, nothing_unit),
        "foreign": (foreign_user, foreign_unit),
    }.items():
        results[name] = [
            (await x.gql("admin", "DeactivateUser", input={"id": user}))["deactivateUser"],
            (
                await x.gql(
                    "admin",
                    "AddOrgUnit",
                    input={
                        "parentId": unit,
                        "kind": "department",
                        "code": "aftersales",
                        "name": "x",
                    },
                )
            )["addOrgUnit"],
            (await x.gql("admin", "UpdateOrgUnit", input={"id": unit, "name": "x"}))[
                "updateOrgUnit"
            ],
            (
                await x.gql(
                    "admin",
                    "GrantRole",
                    input={"userId": x.user_gid("care_a"), "role": "operator", "orgUnitId": unit},
                )
            )["grantRole"],
            (await x.gql("admin", "Users", orgUnitId=unit))["users"],
            (await x.gql("admin", "OrgUnits", under=unit))["orgUnits"],
        ]
    for ours, theirs in zip(results["nothing"], results["foreign"], strict=True):
        assert ours["__typename"] in ("NotFound", "ValidationError")
        assert {k: v for k, v in ours.items() if k != "id"} == {
            k: v for k, v in theirs.items() if k != "id"
        }
    listed = [
        n["user"]["username"] for n in (await x.gql("admin", "Users", first=100))["users"]["nodes"]
    ]
    assert len(listed) == 11
    async with y.database.reader(y.tenant_id) as session:
        assert await session.scalar(select(func.count()).select_from(DirectoryEvent)) == 0
        assert await session.scalar(select(func.count()).select_from(OrgUnit)) == 6
