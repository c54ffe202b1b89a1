"""The GTMC scenario (issue 15, policies/profiles/gtmc, DOMAIN.md §1.5, §5.4, §6.4): the i-CROP flow
walked with GTMC's own deadlines to the minute, through a store with a sales and an after-sales
department, up to GTMC CR and TMCI. The organisation is set up here: one store (销售店) with its
departments, a person per lane, and GTMC's CR staff at the brand root."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support import VIN, World

from schema.ids import encode
from server.db.models import OutboxMessage, Revisit, WorkOrder, WorkOrderEvent
from server.profiles import Profile, bundled_profile_path, load_profile_dir, parse_profile
from server.services import deadlines, organisation, tenancy, tracking
from workers.actors import remind_tracking
from workers.scheduler import TICKS

SH = ZoneInfo("Asia/Shanghai")
GTMC = load_profile_dir(bundled_profile_path("gtmc"))
STORE = "/south/gz01"
# username: (role, where below the tenant root)
PEOPLE = {
    "hua": ("operator", STORE),  # 话务员
    "cr": ("cr_manager", STORE),  # CR经理
    "sales_mgr": ("manager", f"{STORE}/sales"),  # 销售经理
    "after_mgr": ("manager", f"{STORE}/aftersales"),  # 售后经理
    "sc": ("advisor", f"{STORE}/sales"),  # SC
    "sa": ("advisor", f"{STORE}/aftersales"),  # SA
    "gm": ("gm", STORE),  # 总经理
    "other_cr": ("cr_manager", "/south/sz01"),  # another store's CR manager
    "gtmc_cr": ("se", ""),  # GTMC 顾客关联科
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def iso(text: str) -> str:
    return at(text).astimezone(ZoneInfo("UTC")).isoformat()


@pytest.fixture
async def world(database) -> World:
    return await make_world_with(database, GTMC)


async def make_world_with(database, profile: Profile) -> World:
    slug = f"gtmc-{uuid.uuid4().hex[:6]}"
    tenant_id = await tenancy.create_tenant(database, slug, "广汽丰田", profile)
    db = database.tenant(tenant_id)
    units = {
        "/south": (await organisation.add_org_unit(db, f"/{slug}", "region", "south", "华南")).id
    }
    for store, name in (("gz01", "广州一店"), ("sz01", "深圳一店")):
        path = f"/south/{store}"
        units[path] = (
            await organisation.add_org_unit(db, f"/{slug}/south", "dealer", store, name)
        ).id
        for code, dept in (("sales", "销售部"), ("aftersales", "售后部")):
            unit = await organisation.add_org_unit(db, f"/{slug}{path}", "department", code, dept)
            units[f"{path}/{code}"] = unit.id
    users = {}
    for username, (role, where) in PEOPLE.items():
        users[username] = (await organisation.add_user(db, username, username)).id
        await organisation.grant(db, users[username], role, f"/{slug}{where}")
    await db.close()
    return World(database, tenant_id, slug, users, units)


def store_gid(world: World, path: str = STORE) -> str:
    return encode("OrgUnit", world.units[path])


async def register(world: World, **overrides) -> dict:
    data = {
        "dealerId": store_gid(world),
        "customer": {"name": "陈女士", "phones": ["13800138000"]},
        "vehicle": {"vin": VIN, "model": "凯美瑞"},
        "channel": "call_centre_new",
        "category": "service",
        "summary": "保养后异响",
        "details": "客户称:3月1日保养后行驶时底盘异响,要求免费检查。",
        "flags": ["general_quality"],
    } | overrides
    result = (await world.gql("hua", "RegisterComplaint", input=data))["registerComplaint"]
    assert result["__typename"] == "WorkOrderPayload", result
    return result["order"]


async def detail(world: World, order_id: str, who: str = "gtmc_cr") -> dict:
    return (await world.gql(who, "OrderDetail", id=order_id))["workOrder"]


async def step(world: World, who: str, order: dict, name: str, **extra) -> dict:
    values = {"id": order["id"], "expectedVersion": order["version"], "transition": name} | extra
    return (await world.gql(who, "TransitionWorkOrder", input=values))["transitionWorkOrder"]


def due(order: dict, clock: str) -> str:
    return next(c["dueAt"] for c in order["clocks"] if c["name"] == clock)


def transfer(world: World, authority: str, person: str, store: str = STORE) -> dict:
    return {
        "storeId": store_gid(world, store),
        "authority": authority,
        "personInChargeId": world.user_gid(person),
        "memo": "请销售/售后经理对应",
    }


async def test_a_general_complaint_walks_the_i_crop_flow_to_the_after_sales_department(world):
    # Tuesday 17:30: the operator has an hour of business time, which runs to Wednesday 09:30;
    # the CR manager must see the customer contacted within 24 natural hours.
    world.clock.now = at("2025-03-04 17:30")
    order = await detail(world, (await register(world))["id"])
    assert (order["state"], order["tier"], order["grade"], order["department"]) == (
        "operator_entry",
        "DLR",
        "general",
        None,
    )
    assert due(order, "operator_entry") == iso("2025-03-05 09:30")
    assert order["responseDueAt"] == iso("2025-03-05 17:30")

    world.clock.now = at("2025-03-05 09:10")  # 请CR经理审核
    assert (await step(world, "hua", order, "submit"))["__typename"] == "WorkOrderPayload"
    order = await detail(world, order["id"])
    assert due(order, "cr_review") == iso("2025-03-05 11:10")  # 2 business hours

    # 判断性质: the CR manager corrects the entry (the category and the customer's words).
    world.clock.now = at("2025-03-05 09:40")
    corrected = {
        "id": order["id"],
        "expectedVersion": order["version"],
        "reason": "听录音后更正:属品质投诉",
        "category": "quality",
        "details": "客户原话:“保养完开起来底盘咯噔咯噔响。”要求免费检查。",
    }
    result = (await world.gql("cr", "CorrectWorkOrder", input=corrected))["correctWorkOrder"]
    assert result["__typename"] == "WorkOrderPayload", result
    assert (result["order"]["category"], result["order"]["summary"]) == ("quality", "保养后异响")
    order = await detail(world, order["id"])

    # Before the transfer a department manager's grant sees none of the store's orders.
    assert (await detail(world, order["id"], "after_mgr"))["__typename"] == "NotFound"
    world.clock.now = at("2025-03-05 10:00")  # 转交他人对应: 权限 = 售后经理
    forwarded = await step(
        world, "cr", order, "forward", transfer=transfer(world, "aftersales_manager", "after_mgr")
    )
    assert forwarded["__typename"] == "WorkOrderPayload", forwarded
    order = await detail(world, order["id"])
    assert (order["state"], order["department"], order["primaryHandler"]["id"]) == (
        "manager_review",
        "aftersales",
        world.user_gid("after_mgr"),
    )
    assert due(order, "manager_review") == iso("2025-03-05 12:00")
    # The after-sales manager's grant now covers it; the sales manager's does not.
    assert (await detail(world, order["id"], "after_mgr"))["__typename"] == "WorkOrder"
    assert (await detail(world, order["id"], "sales_mgr"))["__typename"] == "NotFound"
    assert (await detail(world, order["id"], "sc"))["__typename"] == "NotFound"
    for who, seen in (("after_mgr", [order["id"]]), ("sales_mgr", []), ("gm", [order["id"]])):
        page = (await world.gql(who, "Worklist"))["workOrders"]["edges"]
        assert [edge["node"]["id"] for edge in page] == seen, who

    world.clock.now = at("2025-03-05 11:20")  # 确认投诉情况 → 制订方针, then the SA is put on it
    assert (await step(world, "after_mgr", order, "plan"))["__typename"] == "WorkOrderPayload"
    order = await detail(world, order["id"])
    assigned = {"id": order["id"], "expectedVersion": order["version"]}
    assigned["primaryHandlerId"] = world.user_gid("sa")
    result = (await world.gql("after_mgr", "AssignWorkOrder", input=assigned))["assignWorkOrder"]
    assert result["__typename"] == "WorkOrderPayload", result
    # The sales department's SC may not be put on an after-sales order.
    wrong = assigned | {"expectedVersion": order["version"] + 1}
    wrong["primaryHandlerId"] = world.user_gid("sc")
    refused = (await world.gql("after_mgr", "AssignWorkOrder", input=wrong))["assignWorkOrder"]
    assert refused["__typename"] == "ValidationError"

    world.clock.now = at("2025-03-05 14:00")
    order = await detail(world, order["id"])
    contact = {"id": order["id"], "expectedVersion": order["version"], "outcome": "REACHED"}
    await world.gql("sa", "LogContactAttempt", input=contact)
    order = await detail(world, order["id"])
    response = next(c for c in order["clocks"] if c["name"] == "response")
    assert (response["status"], order["respondedAt"]) == ("MET", iso("2025-03-05 14:00"))

    world.clock.now = at("2025-03-05 16:00")  # 记录对应经过及结果
    closing = {"id": order["id"], "expectedVersion": order["version"], "resolution": "紧固底盘护板"}
    closed = (await world.gql("sa", "CloseWorkOrder", input=closing))["closeWorkOrder"]
    assert closed["__typename"] == "WorkOrderPayload", closed
    order = await detail(world, order["id"])
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        revisit = await session.scalar(select(Revisit))
    await db.close()
    assert revisit is not None and revisit.assignee_id == world.users["cr"]  # 回访顾客: the CR lane
    # Separation of duties: the SA who recorded the result does not confirm it.
    refused = await step(world, "sa", order, "confirm")
    assert refused["__typename"] == "TransitionNotAllowed", refused
    assert "separation of duties" in refused["message"]
    assert (await detail(world, order["id"]))["version"] == order["version"]  # nothing changed
    confirmed = await step(world, "cr", order, "confirm")  # 回访顾客并确认结果
    assert confirmed["__typename"] == "WorkOrderPayload", confirmed
    order = await detail(world, order["id"])
    assert order["state"] == "closed"
    kinds = [(e["kind"], e["transition"]) for e in order["history"]]
    assert kinds[:4] == [
        ("registered", None),
        ("transition", "submit"),
        ("corrected", None),
        ("transition", "forward"),
    ]


async def test_forward_names_a_valid_target_or_nothing_changes(world):
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    await step(world, "hua", await detail(world, order["id"]), "submit")
    order = await detail(world, order["id"])

    missing = await step(world, "cr", order, "forward")
    assert missing["__typename"] == "ValidationError"
    assert [f["path"] for f in missing["fields"]] == [["transfer"]]
    # Another store, an unknown authority: both at once.
    bad = transfer(world, "boss", "after_mgr", store="/south/sz01")
    refused = await step(world, "cr", order, "forward", transfer=bad)
    assert [f["path"] for f in refused["fields"]] == [
        ["transfer", "storeId"],
        ["transfer", "authority"],
    ]
    # The sales manager is not the after-sales manager.
    wrong = transfer(world, "aftersales_manager", "sales_mgr")
    refused = await step(world, "cr", order, "forward", transfer=wrong)
    assert [f["path"] for f in refused["fields"]] == [["transfer", "personInChargeId"]]
    # A step without a transfer block refuses one.
    extra = transfer(world, "sales_manager", "sales_mgr")
    refused = await step(world, "gm", order, "cancel", comment="重复", transfer=extra)
    assert [f["path"] for f in refused["fields"]] == [["transfer"]]
    after = await detail(world, order["id"])
    assert (after["version"], after["state"], after["department"]) == (
        order["version"],
        "cr_review",
        None,
    )
    # Another store's CR manager does not even see the order.
    other = await step(world, "other_cr", order, "forward", transfer=extra)
    assert other["__typename"] == "NotFound"
    # A sales complaint goes to the sales manager, whom the after-sales side does not see.
    done = await step(world, "cr", order, "forward", transfer=extra)
    assert done["__typename"] == "WorkOrderPayload", done
    seen = {who: (await detail(world, order["id"], who))["__typename"] for who in PEOPLE}
    assert {who for who, typename in seen.items() if typename == "WorkOrder"} == {
        "hua",
        "cr",
        "gm",
        "sales_mgr",
        "sc",
        "gtmc_cr",
    }


async def test_an_important_complaint_reaches_gtmc_cr_by_itself_and_tmci_above_it(world):
    world.clock.now = at("2025-03-04 10:00")
    important = await register(world, flags=["cctv"])  # 第三方:CCTV参与 → 重要投诉
    order = await detail(world, important["id"])
    assert (order["grade"], order["tier"], order["escalated"]) == ("important", "GTMC_CR", True)
    assert [e["kind"] for e in order["history"]] == ["registered", "escalated"]

    # 判断性质 at review: a general complaint regraded important goes up by itself.
    general = await detail(
        world, (await register(world, customer={"name": "李先生", "phones": ["13900139000"]}))["id"]
    )
    assert general["tier"] == "DLR"
    regrade = {
        "id": general["id"],
        "expectedVersion": general["version"],
        "grade": "important",
        "reason": "客户已向媒体曝光并起诉",
    }
    result = (await world.gql("cr", "RegradeWorkOrder", input=regrade))["regradeWorkOrder"]
    assert result["__typename"] == "WorkOrderPayload", result
    general = await detail(world, general["id"])
    assert (general["grade"], general["tier"]) == ("important", "GTMC_CR")
    assert [e["kind"] for e in general["history"]][-2:] == ["regraded", "escalated"]

    # 需要厂商支援: GTMC CR escalates to TMCI, the third tier; there is none above it.
    up = {"id": order["id"], "expectedVersion": order["version"], "reason": "需要厂商支援"}
    moved = (await world.gql("gtmc_cr", "EscalateWorkOrder", input=up))["escalateWorkOrder"]
    assert moved["order"]["tier"] == "TMCI"
    up["expectedVersion"] = moved["order"]["version"]
    top = (await world.gql("gtmc_cr", "EscalateWorkOrder", input=up))["escalateWorkOrder"]
    assert top["__typename"] == "TransitionNotAllowed"


async def messages(world: World, topic: str) -> list[tuple[str, int]]:
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        rows = await session.execute(
            select(OutboxMessage.key, OutboxMessage.recipient_id).where(
                OutboxMessage.topic == topic
            )
        )
        found = sorted((key, recipient) for key, recipient in rows.all())
    await db.close()
    return found


async def test_a_24_hour_contact_breach_reaches_the_cr_manager(world):
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    await deadlines.scan(world.database, at("2025-03-05 10:00") - timedelta(minutes=1))
    warned = {r for key, r in await messages(world, "sla.due_soon") if ":response:" in key}
    await deadlines.scan(world.database, at("2025-03-05 10:01"))
    breached = {r for key, r in await messages(world, "sla.breached") if ":response:" in key}
    assert world.users["cr"] in breached and world.users["cr"] in warned
    # The contact duty is the CR manager's, not another store's nor a department's.
    assert not breached & {world.users[u] for u in ("other_cr", "sales_mgr", "sa")}
    assert order["number"]


async def test_a_departments_step_breach_reaches_its_manager_and_the_stores_gm(world):
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    await step(world, "hua", await detail(world, order["id"]), "submit")
    order = await detail(world, order["id"])
    authority = transfer(world, "aftersales_manager", "after_mgr")
    assert (await step(world, "cr", order, "forward", transfer=authority))["order"]
    await deadlines.scan(world.database, at("2025-03-04 12:01"))  # manager_review due 12:00
    breached = {r for key, r in await messages(world, "sla.breached") if ":manager_review:" in key}
    assert breached == {world.users[u] for u in ("after_mgr", "gm")}


async def test_tracking_reminders_follow_the_grade_cadence_once_per_round(world):
    world.clock.now = at("2025-03-04 10:00")
    important = await register(world, flags=["cctv"])
    general = await register(world, customer={"name": "李先生", "phones": ["13900139000"]})
    cr = world.users["cr"]

    await tracking.remind(world.database, at("2025-03-05 09:59"))
    assert await messages(world, "workorder.tracking") == []
    for _ in range(2):  # a duplicate tick sends nothing more
        await tracking.remind(world.database, at("2025-03-05 10:30"))
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        ids = dict((await session.execute(select(WorkOrder.number, WorkOrder.id))).all())
    await db.close()
    first = [(f"tracking:{ids[important['number']]}:important:1:to:{cr}", cr)]
    assert await messages(world, "workorder.tracking") == first  # daily: the important one

    await tracking.remind(world.database, at("2025-03-11 10:00"))  # a week on
    sent = await messages(world, "workorder.tracking")
    assert (f"tracking:{ids[general['number']]}:general:1:to:{cr}", cr) in sent
    assert (f"tracking:{ids[important['number']]}:important:7:to:{cr}", cr) in sent
    # A cancelled order is no longer tracked.
    cancelled = await detail(world, general["id"])
    await step(world, "gm", cancelled, "cancel", comment="重复登记")
    before = len(await messages(world, "workorder.tracking"))
    await tracking.remind(world.database, at("2025-03-18 10:00"))
    sent = await messages(world, "workorder.tracking")
    assert len(sent) == before + 1  # the important order's round 14 only


async def test_corrections_are_typed_and_kept_in_the_history(world):
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    base = {"id": order["id"], "expectedVersion": order["version"], "reason": "更正"}
    bad = base | {"category": "nope", "flags": ["cctv", "boom"], "summary": " "}
    refused = (await world.gql("cr", "CorrectWorkOrder", input=bad))["correctWorkOrder"]
    assert refused["__typename"] == "ValidationError"
    assert [f["path"] for f in refused["fields"]] == [["summary"]]  # texts are checked first
    bad = base | {"category": "nope", "flags": ["cctv", "boom"]}
    refused = (await world.gql("cr", "CorrectWorkOrder", input=bad))["correctWorkOrder"]
    assert [f["path"] for f in refused["fields"]] == [["flags[1]"], ["category"]]
    # The SC/SA may not correct the entry.
    good = base | {"flags": ["cctv"]}
    denied = (await world.gql("hua", "CorrectWorkOrder", input=good))["correctWorkOrder"]
    assert denied["__typename"] == "NotPermitted"
    assert (await detail(world, order["id"]))["version"] == order["version"]
    done = (await world.gql("cr", "CorrectWorkOrder", input=good))["correctWorkOrder"]
    assert done["order"]["flags"] == ["cctv"]
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        event = await session.scalar(
            select(WorkOrderEvent).where(WorkOrderEvent.kind == "corrected")
        )
    await db.close()
    assert event is not None and event.comment == "更正"
    assert event.data["before"] == {"flags": ["general_quality"]}
    assert event.data["proposed_grade"] == "important"  # the reviewer sees a regrade is due


async def test_a_regrade_by_the_deadline_scan_also_starts_the_order_at_its_grade_tier(database):
    # A variant profile whose 24-hour contact breach makes the complaint important: the scan's
    # regrade moves it to GTMC CR as a person's regrade would.
    docs = copy.deepcopy(dict(GTMC.documents))
    response = docs["deadlines.yaml"]["clocks"][0]
    assert response["clock"] == "response"
    response["on_breach"] = {"notify": ["managers"], "regrade": "important"}
    world = await make_world_with(database, parse_profile(docs))
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world)
    await deadlines.scan(world.database, at("2025-03-05 10:01"))
    order = await detail(world, order["id"])
    assert (order["grade"], order["tier"]) == ("important", "GTMC_CR")
    assert [e["kind"] for e in order["history"]][-2:] == ["regraded", "escalated"]


def test_the_scheduler_sends_the_tracking_reminders_every_hour():
    assert remind_tracking in TICKS["hourly"][1]
