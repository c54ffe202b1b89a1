"""Revisits (回访, issue 16): created by the step that handles an order, called, finished with
the customer's verdict, warned about and breached by the deadline scan, cancelled by a reopen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from support import make_world, op, register

from schema.app import schema
from schema.context import Context
from schema.ids import key
from server.db import migrate
from server.db.models import (
    OutboxMessage,
    Revisit,
    RevisitAttempt,
    SlaEffect,
    WorkOrder,
    WorkOrderEvent,
)
from server.db.session import Database
from server.profiles import bundled_profile_path, load_profile_dir
from server.security.auth import Claims
from server.services import deadlines, demo, demo_plan, organisation, revisits
from server.services.caller import tenant_caller

SH = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SH)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


async def handled(world, dealer: str = "a", care: str = "care_a") -> dict:
    """An order of `dealer` taken up and resolved (handled): its revisit is opened."""
    order = await register(world, dealer=dealer)
    step = {"id": order["id"], "expectedVersion": 1, "transition": "review"}
    await world.gql(care, "TransitionWorkOrder", input=step)
    close = {"id": order["id"], "expectedVersion": 2, "resolution": "补发脚垫"}
    closed = (await world.gql(care, "CloseWorkOrder", input=close))["closeWorkOrder"]
    assert closed["order"]["state"] == "handled", closed
    return order


async def revisits_of(world, username: str, **filter_) -> list[dict]:
    data = await world.gql(username, "Revisits", filter=filter_ or None)
    return data["revisits"]["nodes"]


async def attempt(world, username: str, revisit_id: str, outcome: str, **more) -> dict:
    data = await world.gql(
        username, "LogRevisitAttempt", input={"id": revisit_id, "outcome": outcome, **more}
    )
    return data["logRevisitAttempt"]


async def result(world, username: str, revisit_id: str, result_: str, **more) -> dict:
    data = await world.gql(
        username, "RecordRevisitResult", input={"id": revisit_id, "result": result_, **more}
    )
    return data["recordRevisitResult"]


async def count(world, model, *where) -> int:
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        found = await session.scalar(select(func.count()).select_from(model).where(*where))
    await db.close()
    return found


async def test_handling_opens_one_revisit_due_24_hours_later(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await handled(world)
    due = await revisits_of(world, "care_a", states=["OPEN"])
    assert [(r["order"]["id"], r["trigger"], r["state"]) for r in due] == [
        (order["id"], "resolve", "OPEN")
    ]
    assert due[0]["dueAt"] == iso(at("2025-03-05 10:00"))
    assert due[0]["assignee"]["displayName"] == "Care A"


async def test_three_no_answers_end_it_unsuccessful_and_it_leaves_the_due_list(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    await handled(world)
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    for n in (1, 2):
        done = await attempt(world, "care_a", revisit_id, "NO_ANSWER")
        assert (done["revisit"]["state"], done["revisit"]["failedAttempts"]) == ("OPEN", n)
    done = await attempt(world, "care_a", revisit_id, "BUSY", notes="占线")
    assert done["revisit"]["state"] == "UNSUCCESSFUL", done
    assert done["revisit"]["failedAttempts"] == 3 and "3" in done["revisit"]["reason"]
    assert await revisits_of(world, "care_a", states=["OPEN"]) == []
    # a finished revisit takes no more attempts, and nothing is written
    refused = await attempt(world, "care_a", revisit_id, "REACHED")
    assert refused["__typename"] == "ValidationError" and refused["fields"][0]["path"] == ["id"]
    assert await count(world, RevisitAttempt) == 3


async def test_a_refusal_ends_it_and_a_call_back_moves_it_without_a_failure(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    await handled(world)
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    later = at("2025-03-06 15:30")
    moved = await attempt(world, "care_a", revisit_id, "CALL_BACK", callBackAt=iso(later))
    assert moved["revisit"]["dueAt"] == iso(later) and moved["revisit"]["failedAttempts"] == 0
    done = await attempt(world, "care_a", revisit_id, "REFUSED")
    assert done["revisit"]["state"] == "UNSUCCESSFUL"


async def test_the_scan_warns_before_and_breaches_after_the_due_time_once_each(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await handled(world)
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        row_id = await session.scalar(select(Revisit.id))
    await db.close()
    clock = f"revisit-{row_id}"
    assert revisit_id  # the revisit's own clock is on its order, named after it
    effects = (SlaEffect.clock == clock,)
    # the 24-hour clock warns in the profile's window before 10:00 the next day
    await deadlines.scan(world.database, at("2025-03-04 12:00"))
    assert await count(world, SlaEffect, *effects) == 0
    for _ in range(2):
        await deadlines.scan(world.database, at("2025-03-05 09:59"))
    assert await count(world, SlaEffect, *effects, SlaEffect.kind == "due_soon") == 1
    assert await count(world, SlaEffect, *effects, SlaEffect.kind == "breached") == 0
    for _ in range(2):
        await deadlines.scan(world.database, at("2025-03-05 10:01"))
    assert await count(world, SlaEffect, *effects, SlaEffect.kind == "breached") == 1
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        events = (await session.scalars(select(WorkOrderEvent.data))).all()
    await db.close()
    assert sum(1 for data in events if data.get("clock") == clock) == 2  # warned, breached
    notified = OutboxMessage.key.like(f"sla:%:{clock}:breached:%")
    assert await count(world, OutboxMessage, notified) >= 1
    world.clock.now = at("2025-03-05 10:01")
    detail = (await world.gql("care_a", "OrderDetail", id=order["id"]))["workOrder"]
    status = {c["name"]: c["status"] for c in detail["clocks"]}
    assert status[clock] == "BREACHED"
    assert [r["id"] for r in await revisits_of(world, "care_a", overdue=True)] == [revisit_id]


async def test_a_dissatisfied_result_reopens_the_order_with_the_customers_words(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await handled(world)
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    await attempt(world, "care_a", revisit_id, "REACHED", script="complaint-revisit-v1")
    words = "脚垫到现在还没收到，我很不满意"
    answers = [{"question": "resolved", "answer": "unsolved"}]
    done = await result(world, "care_a", revisit_id, "dissatisfied", words=words, answers=answers)
    assert done["revisit"]["state"] == "COMPLETED" and done["revisit"]["words"] == words
    assert done["revisit"]["answers"] == answers
    assert done["revisit"]["order"]["state"] == "in_progress"
    detail = (await world.gql("manager_a", "OrderDetail", id=order["id"]))["workOrder"]
    reopened = [e for e in detail["history"] if e["transition"] == "reopen"]
    assert [e["comment"] for e in reopened] == [words]
    # the care specialist does not hold workorder.reopen: the profile's rule reopened it
    assert reopened[0]["actor"]["username"] == "care_a"


async def test_under_a_follow_up_profile_a_dissatisfied_result_opens_a_linked_complaint(database):
    # Without handling.yaml: the world has no departments to forward to (tests/test_gtmc_scenario.py
    # walks the transfers), and this test is about the revisit.
    world = await make_world(database, "gtmc", handling={})
    world.clock.now = at("2025-03-04 10:00")
    order = await register(world, channel="hotline_800", category=_gtmc_category(), vehicle=None)
    for version, name in enumerate(("submit", "forward", "plan"), start=1):
        step = {"id": order["id"], "expectedVersion": version, "transition": name}
        moved = (await world.gql("se", "TransitionWorkOrder", input=step))["transitionWorkOrder"]
        assert moved["__typename"] == "WorkOrderPayload", moved
    close = {"id": order["id"], "expectedVersion": 4, "resolution": "已更换配件"}
    assert (await world.gql("se", "CloseWorkOrder", input=close))["closeWorkOrder"]["order"]
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    words = "换了配件还是有异响"
    done = await result(world, "care_a", revisit_id, "dissatisfied", words=words)
    follow_up = done["revisit"]["followUpOrder"]
    assert follow_up is not None and follow_up["repeatOf"]["id"] == order["id"]
    assert done["revisit"]["order"]["state"] == "handled"  # not reopened: a new complaint
    linked = (await world.gql("se", "OrderRevisits", id=order["id"]))["workOrder"]
    assert linked["repeated"] is True  # counts as a repeat: not resolved the first time
    assert [r["followUpOrder"]["id"] for r in linked["revisits"]] == [follow_up["id"]]
    detail = (await world.gql("se", "OrderDetail", id=follow_up["id"]))["workOrder"]
    assert detail["details"] == words


def _gtmc_category() -> str:
    profile = load_profile_dir(bundled_profile_path("gtmc"))
    return next(c.code for c in profile.categories.values() if c.grade is not None)


async def test_reopening_before_the_call_cancels_the_revisit_with_the_reason(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await handled(world)
    reason = "客户来电补充新问题"
    step = {"id": order["id"], "expectedVersion": 3, "transition": "reopen", "comment": reason}
    moved = await world.gql("manager_a", "TransitionWorkOrder", input=step)
    assert moved["transitionWorkOrder"]["order"]["state"] == "in_progress"
    [cancelled] = await revisits_of(world, "care_a")
    assert cancelled["state"] == "CANCELLED"
    detail = (await world.gql("manager_a", "OrderDetail", id=order["id"]))["workOrder"]
    events = [e for e in detail["history"] if e["kind"] == "revisit_cancelled"]
    assert len(events) == 1 and reason in events[0]["comment"]
    clocks = {c["name"]: c["status"] for c in detail["clocks"]}
    assert [s for n, s in clocks.items() if n.startswith("revisit-")] == ["CANCELLED"]
    attempted = await attempt(world, "care_a", cancelled["id"], "REACHED")
    assert attempted["__typename"] == "ValidationError"


async def test_a_dealers_care_specialist_neither_sees_nor_acts_on_anothers(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    await handled(world, "a", "care_a")
    world.clock.now += timedelta(minutes=1)
    await handled(world, "b", "care_b")
    mine = await revisits_of(world, "care_a")
    theirs = await revisits_of(world, "care_b")
    assert len(mine) == len(theirs) == 1 and mine[0]["id"] != theirs[0]["id"]
    assert {r["id"] for r in await revisits_of(world, "rbo_east")} == {
        mine[0]["id"],
        theirs[0]["id"],
    }
    assert await revisits_of(world, "manager_c") == []
    foreign = await attempt(world, "care_a", theirs[0]["id"], "REACHED")
    assert foreign["__typename"] == "NotFound"
    nothing = await attempt(world, "care_a", "UmV2aXNpdDo5OTk5OTk", "REACHED")
    assert (foreign["__typename"], foreign["message"]) == (
        nothing["__typename"],
        nothing["message"],
    )
    missing = (await world.gql("care_a", "RevisitDetail", id=theirs[0]["id"]))["revisit"]
    assert missing["__typename"] == "NotFound"
    done = await result(world, "rbo_east", theirs[0]["id"], "satisfied", words="很好")
    assert done["revisit"]["state"] == "COMPLETED"
    assert await count(world, RevisitAttempt) == 0


async def test_another_tenants_revisit_answers_like_none(database):
    world = await make_world(database)
    other = await make_world(database)
    world.clock.now = other.clock.now = at("2025-03-04 10:00")
    await handled(other)
    theirs = (await revisits_of(other, "care_a"))[0]["id"]
    answered = await result(world, "se", theirs, "satisfied", words="好")
    assert answered["__typename"] == "NotFound"
    detail = (await world.gql("se", "RevisitDetail", id=theirs))["revisit"]
    assert detail["__typename"] == "NotFound"
    assert (await revisits_of(other, "care_a"))[0]["state"] == "OPEN"


async def test_bad_results_name_their_field_and_change_nothing(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await handled(world)
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    unknown = await result(world, "care_a", revisit_id, "delighted", words="好")
    assert [f["path"] for f in unknown["fields"]] == [["result"]]
    wordless = await result(world, "care_a", revisit_id, "satisfied")
    assert [f["path"] for f in wordless["fields"]] == [["words"]]
    bad_answer = await result(
        world, "care_a", revisit_id, "satisfied", words="好",
        answers=[{"question": "resolved", "answer": "maybe"}],
    )  # fmt: skip
    assert [f["path"] for f in bad_answer["fields"]] == [["answers", "0"]]
    past = await attempt(
        world, "care_a", revisit_id, "CALL_BACK", callBackAt=iso(at("2025-03-04 09:00"))
    )
    assert [f["path"] for f in past["fields"]] == [["callBackAt"]]
    email = await attempt(world, "care_a", revisit_id, "REACHED", channel="email")
    assert [f["path"] for f in email["fields"]] == [["channel"]]
    [still] = await revisits_of(world, "care_a")
    assert (still["state"], still["failedAttempts"], still["dueAt"]) == (
        "OPEN",
        0,
        iso(at("2025-03-05 10:00")),
    )
    detail = (await world.gql("care_a", "OrderDetail", id=order["id"]))["workOrder"]
    assert detail["version"] == 3 and detail["state"] == "handled"
    assert await count(world, RevisitAttempt) == 0


async def test_retrying_the_step_or_redelivering_it_creates_one_revisit(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    order = await handled(world)
    close = {"id": order["id"], "expectedVersion": 2, "resolution": "补发脚垫"}
    retried = (await world.gql("care_a", "CloseWorkOrder", input=close))["closeWorkOrder"]
    assert retried["__typename"] == "Conflict"
    caller = await world.caller("care_a")
    db = caller.db
    for _ in range(2):  # the step delivered again: same order, same step, same version
        async with db.write() as session:
            row = await session.get_one(WorkOrder, key("WorkOrder", order["id"]))
            again = await revisits.open_for(session, caller.tenant, row, "resolve", world.clock.now)
            assert again is None
    await db.close()
    assert await count(world, Revisit) == 1


async def test_a_profile_without_revisit_rules_creates_none(database):
    world = await make_world(database, revisits={})
    world.clock.now = at("2025-03-04 10:00")
    await handled(world)
    assert await count(world, Revisit) == 0


async def test_the_demo_leaves_revisits_due_for_its_care_specialist(tmp_path):
    """On a database of its own: the demo tenant's slug is one per database."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    await migrate.upgrade(database.write_engine)
    try:
        tenant_id = (await demo.load_demo(database, progress=lambda _line: None)).tenant_id
        db = database.tenant(tenant_id)
        ids = await organisation.user_ids(db)
        await db.close()
        caller = await tenant_caller(database, Claims(str(ids["care"]), tenant_id, False))
        variables = {"filter": {"states": ["OPEN"]}}
        found = await schema.execute(
            op("Revisits"), variable_values=variables, context_value=Context(caller, "t")
        )
        await caller.db.close()
    finally:
        await database.dispose()
    assert found.errors is None, found.errors
    due = found.data["revisits"]["nodes"]
    now = datetime.now(UTC)
    ahead = [r for r in due if datetime.fromisoformat(r["dueAt"]) > now]
    assert len(ahead) >= demo_plan.plan(demo_plan.default_profile()).orders.last_handled
    assert {r["dealer"]["code"] for r in due} == {"sh-pudong"}
    assert all(r["order"]["state"] in ("handled", "closed") for r in due)


async def test_statistics_per_dealer_within_the_callers_scope(database):
    world = await make_world(database)
    world.clock.now = at("2025-03-04 10:00")
    await handled(world, "a", "care_a")
    await handled(world, "b", "care_b")
    for dealer, care in (("a", "care_a"), ("b", "care_b")):
        revisit_id = (await revisits_of(world, care))[0]["id"]
        verdict = "satisfied" if dealer == "a" else "unreachable"
        await result(world, care, revisit_id, verdict, words="客户原话")
    span = {"from": iso(at("2025-03-01 00:00")), "to": iso(at("2025-04-01 00:00"))}
    region = (await world.gql("rbo_east", "RevisitStatistics", **span))["revisitStatistics"]
    rows = {
        d["dealer"]["code"]: (d["revisits"], d["successful"], d["successRate"], d["results"])
        for d in region["dealers"]
    }
    assert rows == {
        "dlr-a": (1, 1, 1.0, [{"result": "satisfied", "revisits": 1}]),
        "dlr-b": (1, 0, 0.0, [{"result": "unreachable", "revisits": 1}]),
    }
    own = (await world.gql("care_b", "RevisitStatistics", **span))["revisitStatistics"]
    assert [d["dealer"]["code"] for d in own["dealers"]] == ["dlr-b"]
    before = {"from": span["from"], "to": iso(at("2025-03-02 00:00"))}
    empty = (await world.gql("rbo_east", "RevisitStatistics", **before))["revisitStatistics"]
    assert empty["dealers"] == []


async def test_a_follow_up_continues_the_version_of_an_order_whose_category_was_dropped(database):
    # Version 2 renames the order's category; the order is not migrated, so its follow-up is
    # registered under the order's own version (docs/architecture.md), not refused.
    world = await make_world(database, "gtmc", handling={})
    world.clock.now = at("2025-03-04 10:00")
    code = _gtmc_category()
    order = await register(world, channel="hotline_800", category=code, vehicle=None)
    for version, name in enumerate(("submit", "forward", "plan"), start=1):
        step = {"id": order["id"], "expectedVersion": version, "transition": name}
        await world.gql("se", "TransitionWorkOrder", input=step)
    close = {"id": order["id"], "expectedVersion": 4, "resolution": "已更换配件"}
    assert (await world.gql("se", "CloseWorkOrder", input=close))["closeWorkOrder"]["order"]
    exported = (await world.gql("admin", "ExportProfile"))["exportProfile"]["documents"]
    exported["profile.yaml"]["version"] = "2027.1"
    for category in exported["categories.yaml"]["categories"]:
        category["code"] = f"{code}_v2" if category["code"] == code else category["code"]
    mapping = {"categories": {code: f"{code}_v2"}}
    imported = await world.gql("admin", "ImportProfile", documents=exported, mapping=mapping)
    assert imported["importProfile"]["version"] == "2027.1", imported

    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    done = await result(world, "care_a", revisit_id, "dissatisfied", words="还是有异响")
    follow_up = done["revisit"]["followUpOrder"]
    assert follow_up is not None and follow_up["repeatOf"]["id"] == order["id"], done
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        row = await session.get_one(WorkOrder, key("WorkOrder", follow_up["id"]))
        assert (row.category, row.profile_version) == (code, "2026.2")
    await db.close()
