"""Every path that reads the profile for an existing order reads the order's own version: an order
registered under version 1 is run by version 1 after version 2 is imported (contacts, customer
calls and the warning slips they raise, revisits, routing, the pending-matters filter, and the
order's state label and steps), until `migrateOrders` moves it to version 2; a new order is run by
version 2 from the start."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from support import World, make_world, register

from server.profiles import bundled_profile_path, load_profile_dir

SH = ZoneInfo("Asia/Shanghai")
V1, V2 = "2026.1", "2026.2"
# State labels and first steps of the orders' initial state, by version.
UNPROCESSED = {"zh": "未处理", "en": "Unprocessed"}
NEW = {"zh": "新建", "en": "New"}
V1_STEPS, V2_STEPS = ["review", "cancel"], ["accept", "cancel"]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def version_2() -> dict[str, Any]:
    """Skoda's profile as version 2: states renamed (unprocessed -> new, pending -> on_hold) and
    the first step renamed (review -> accept); the first contact due in 60 business minutes (was
    120) and an A order closed in 1 working day (was 3); the first warning after 3 calls (was 2),
    acknowledged in 30 minutes (was 120); the revisit due in 48 hours (was 24); A4a routed from
    the dealer straight to the brand's SE (was through the region)."""
    documents = copy.deepcopy(dict(load_profile_dir(bundled_profile_path("skoda")).documents))
    documents["profile.yaml"]["version"] = V2
    workflow = documents["workflow.yaml"]
    renamed = {"unprocessed": "new", "pending": "on_hold"}
    for state in workflow["states"]:
        if state["name"] == "unprocessed":
            state["label"] = {"zh": NEW["zh"], "en": NEW["en"]}
        if state["name"] == "pending":
            state["label"] = {"zh": "挂起", "en": "On hold"}
        state["name"] = renamed.get(state["name"], state["name"])
    workflow["initial"] = "new"
    for step in workflow["transitions"]:
        step["from"] = [renamed.get(s, s) for s in step["from"]]
        step["to"] = renamed.get(step["to"], step["to"])
        step["name"] = "accept" if step["name"] == "review" else step["name"]
    for clock in documents["deadlines.yaml"]["clocks"]:
        if clock["clock"] == "response":
            clock["target"] = 60
        if clock["clock"] == "closure" and clock["applies_to"]["grades"] == ["A"]:
            clock["target"] = 1
    warnings = documents["warnings.yaml"]
    warnings["acknowledge_within"]["target"] = 30
    warnings["rules"][0]["when"]["calls_at_least"] = 3
    documents["revisits.yaml"]["revisits"][0]["target"] = 48
    for category in documents["categories.yaml"]["categories"]:
        if category["code"] == "A4a":
            category["routing"] = ["DLR", "SALES_SE"]
    return documents


@dataclass
class Versions:
    world: World
    old: dict[str, Any]  # registered under version 1 at Monday 09:00, at dealer a
    spare: dict[str, Any]  # the same at dealer b, left for the test to use after migrating
    new: dict[str, Any]  # registered under version 2 at the same minute


async def two_versions(database) -> Versions:
    world = await make_world(database)
    world.clock.now = at("2025-03-03 09:00")  # a Monday
    old, spare = await register(world), await register(world, dealer="b")
    mapping = {"states": {"unprocessed": "new", "pending": "on_hold"}}
    imported = await world.gql("admin", "ImportProfile", documents=version_2(), mapping=mapping)
    assert imported["importProfile"]["version"] == V2, imported
    new = await register(world)
    return Versions(world, old, spare, new)


async def detail(world: World, order: dict[str, Any]) -> dict[str, Any]:
    found = (await world.gql("se", "OrderDetail", id=order["id"]))["workOrder"]
    assert found["__typename"] == "WorkOrder", found
    return found


async def migrate(world: World) -> None:
    applied = (await world.gql("admin", "MigrateOrders", apply=True))["migrateOrders"]
    assert applied["applied"], applied


async def call(world: World, order: dict[str, Any]) -> dict[str, Any]:
    variables = {"id": order["id"], "channel": "hotline_400", "words": "怎么还没人处理？"}
    done = (await world.gql("operator", "RecordCustomerCall", input=variables))[
        "recordCustomerCall"
    ]
    assert done["__typename"] == "CustomerCallPayload", done
    return done["order"]


async def test_order_detail_shows_an_unmigrated_order_by_its_own_version(database):
    v = await two_versions(database)
    old = await detail(v.world, v.old)
    # Version 2 renamed the old order's state: its detail still answers, in version 1's words.
    assert (old["state"], old["stateLabel"], old["availableTransitions"]) == (
        "unprocessed",
        UNPROCESSED,
        V1_STEPS,
    )
    assert old["responseDueAt"] == iso(at("2025-03-03 11:00"))  # 120 business minutes
    assert old["closureDueAt"] == iso(at("2025-03-06 09:00"))  # 3 working days
    new = await detail(v.world, v.new)
    assert (new["state"], new["stateLabel"], new["availableTransitions"]) == (
        "new",
        NEW,
        V2_STEPS,
    )
    assert new["responseDueAt"] == iso(at("2025-03-03 10:00"))
    assert new["closureDueAt"] == iso(at("2025-03-04 09:00"))

    await migrate(v.world)
    migrated = await detail(v.world, v.old)
    assert (migrated["state"], migrated["stateLabel"], migrated["availableTransitions"]) == (
        "new",
        NEW,
        V2_STEPS,
    )
    assert migrated["responseDueAt"] == iso(at("2025-03-03 10:00"))  # version 2's targets now
    assert migrated["closureDueAt"] == iso(at("2025-03-04 09:00"))


async def test_a_contact_on_an_unmigrated_order_follows_its_version(database):
    v = await two_versions(database)
    v.world.clock.now = at("2025-03-03 10:30")  # after version 2's response deadline, not 1's
    for order in (v.old, v.new):
        logged = await v.world.gql(
            "care_a",
            "LogContactAttempt",
            input={"id": order["id"], "expectedVersion": 1, "outcome": "REACHED"},
        )
        assert logged["logContactAttempt"]["__typename"] == "ContactAttemptPayload", logged
    clocks = {c["name"]: c for c in (await detail(v.world, v.old))["clocks"]}
    assert (clocks["response"]["target"], clocks["response"]["status"]) == (120, "MET")
    clocks = {c["name"]: c for c in (await detail(v.world, v.new))["clocks"]}
    assert (clocks["response"]["target"], clocks["response"]["status"]) == (60, "MET_LATE")

    await migrate(v.world)  # the spare order's response clock takes version 2's 60 minutes
    logged = await v.world.gql(
        "care_b",
        "LogContactAttempt",
        input={"id": v.spare["id"], "expectedVersion": 2, "outcome": "REACHED"},
    )
    assert logged["logContactAttempt"]["__typename"] == "ContactAttemptPayload", logged
    clocks = {c["name"]: c for c in (await detail(v.world, v.spare))["clocks"]}
    assert (clocks["response"]["target"], clocks["response"]["status"]) == (60, "MET_LATE")


async def test_repeat_calls_raise_the_slip_of_the_orders_version_until_migrated(database):
    v = await two_versions(database)
    for _ in range(2):
        old, new = await call(v.world, v.old), await call(v.world, v.new)
    # Version 1 warns at the second call, towards the region (its routing); version 2 waits.
    assert [(s["trigger"], s["toTier"]) for s in old["warningSlips"]] == [("W1", "RBO")]
    assert new["warningSlips"] == []
    new = await call(v.world, v.new)
    assert [(s["trigger"], s["toTier"]) for s in new["warningSlips"]] == [("W1", "SALES_SE")]
    targets = {
        order["number"]: {c["name"]: c["target"] for c in (await detail(v.world, order))["clocks"]}
        for order in (v.old, v.new)
    }
    assert targets[v.old["number"]]["slip-W1"] == 120
    assert targets[v.new["number"]]["slip-W1"] == 30

    await migrate(v.world)
    for _ in range(2):
        migrated = await call(v.world, v.spare)
    assert migrated["warningSlips"] == []  # version 2 now: the second call raises nothing
    slips = (await call(v.world, v.spare))["warningSlips"]
    assert [(s["trigger"], s["toTier"]) for s in slips] == [("W1", "SALES_SE")]


async def test_routing_follows_the_orders_version_until_migrated(database):
    v = await two_versions(database)

    async def escalate(order: dict[str, Any], username: str) -> str:
        current = (await detail(v.world, order))["version"]
        done = await v.world.gql(
            username,
            "EscalateWorkOrder",
            input={"id": order["id"], "expectedVersion": current, "reason": "经销商无法解决"},
        )
        assert done["escalateWorkOrder"]["__typename"] == "WorkOrderPayload", done
        return str(done["escalateWorkOrder"]["order"]["tier"])

    assert await escalate(v.old, "manager_a") == "RBO"  # version 1: dealer, region, SE
    assert await escalate(v.new, "manager_a") == "SALES_SE"  # version 2: dealer, SE
    await migrate(v.world)
    assert await escalate(v.spare, "manager_b") == "SALES_SE"


async def handle(
    world: World, order: dict[str, Any], first_step: str, care: str = "care_a"
) -> None:
    current = (await detail(world, order))["version"]
    step = {"id": order["id"], "expectedVersion": current, "transition": first_step}
    taken = await world.gql(care, "TransitionWorkOrder", input=step)
    assert taken["transitionWorkOrder"]["__typename"] == "WorkOrderPayload", taken
    close = {"id": order["id"], "expectedVersion": current + 1, "resolution": "补发脚垫"}
    closed = (await world.gql(care, "CloseWorkOrder", input=close))["closeWorkOrder"]
    assert closed["order"]["state"] == "handled", closed


async def revisit_due(world: World, order: dict[str, Any]) -> str:
    found = (await world.gql("se", "OrderRevisits", id=order["id"]))["workOrder"]["revisits"]
    [revisit] = found
    return str(revisit["dueAt"])


async def test_a_revisit_is_due_by_the_orders_version_until_migrated(database):
    v = await two_versions(database)
    await handle(v.world, v.old, "review")  # version 1's first step
    await handle(v.world, v.new, "accept")
    assert await revisit_due(v.world, v.old) == iso(at("2025-03-04 09:00"))  # 24 hours
    assert await revisit_due(v.world, v.new) == iso(at("2025-03-05 09:00"))  # 48 hours

    await migrate(v.world)
    await handle(v.world, v.spare, "accept", care="care_b")  # version 2's first step now
    assert await revisit_due(v.world, v.spare) == iso(at("2025-03-05 09:00"))


async def test_the_pending_filter_finds_orders_pending_under_their_own_version(database):
    v = await two_versions(database)
    world = v.world

    async def suspend(order: dict[str, Any], first_step: str) -> None:
        for version, name, comment in ((1, first_step, None), (2, "suspend", "等待配件")):
            step = {"id": order["id"], "expectedVersion": version, "transition": name}
            done = await world.gql(
                "care_a", "TransitionWorkOrder", input=step | {"comment": comment}
            )
            assert done["transitionWorkOrder"]["__typename"] == "WorkOrderPayload", done

    await suspend(v.old, "review")
    await suspend(v.new, "accept")
    assert [(await detail(world, o))["state"] for o in (v.old, v.new)] == ["pending", "on_hold"]

    async def ledger() -> set[str]:
        nodes = (await world.gql("se", "PendingMatters"))["pendingMatters"]["nodes"]
        return {n["order"]["number"] for n in nodes}

    assert await ledger() == {v.old["number"], v.new["number"]}
    await migrate(world)
    assert (await detail(world, v.old))["state"] == "on_hold"
    assert await ledger() == {v.old["number"], v.new["number"]}


async def test_the_board_counts_unmigrated_orders_under_their_versions_state(database):
    v = await two_versions(database)
    board = (await v.world.gql("se", "Board"))["board"]
    by_state = {s["state"]: (s["label"], s["count"]) for s in board["byState"]}
    # Version 2's open states in its order, then the one only version 1 has while orders are in
    # it, with its label.
    assert list(by_state) == ["new", "in_progress", "handled", "on_hold", "unprocessed"]
    assert by_state["new"] == (NEW, 1)
    assert by_state["unprocessed"] == (UNPROCESSED, 2)
    assert board["open"] == 3
    await migrate(v.world)
    board = (await v.world.gql("se", "Board"))["board"]
    by_state = {s["state"]: s["count"] for s in board["byState"]}
    assert by_state == {"new": 3, "in_progress": 0, "handled": 0, "on_hold": 0}
