"""The generic-4S profile (source 002 §C) walked through: report 1 business hour, responsibility
24 natural hours (48 once the customer could not be reached), review 4 business hours,
accountability 8 business hours, the three internal tiers, the pending-matters ledger, the
person complained about never handling the complaint, the ledger's monthly reminder on the 4th,
and the month's statement that assesses each form's timeliness against those four rules."""

from __future__ import annotations

import pytest
from scenarios import at, iso, messages, order, order_id, query
from sqlalchemy import select, update
from support import make_world, register

from server.db.models import KpiOrderOutcome, KpiStatementLine, Tenant
from server.domain.errors import InvalidInputError
from server.services import assignment, escalation, order_facts, tracking, transitions
from server.services.reconciliation import reconcile

RECORD_FACT = """
mutation Fact($input: RecordOrderFactInput!) {
  recordOrderFact(input: $input) {
    __typename
    ... on WorkOrderPayload { order { version } }
    ... on ValidationError { fields { path message } }
    ... on TransitionNotAllowed { message }
  }
}
"""


async def numbered(world, category: str = "service_attitude") -> tuple[str, int]:
    """An order registered at 10:00 on a Tuesday and numbered at 10:30."""
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="on_site", category=category))["id"]
    care = await world.caller("care_a")
    world.clock.now = at("2025-03-04 10:30")
    version = (await transitions.transition(care, order_id(gid), "number", 1)).version
    await care.db.close()
    return gid, version


async def test_the_feedback_form_runs_its_four_clocks_to_the_minute(database):
    world = await make_world(database, "generic-4s")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="on_site", category="service_attitude"))["id"]
    found = await order(world, gid)
    assert (found["state"], found["tier"]) == ("reported", "TIER1")
    assert found["currentStepDueAt"] == iso("2025-03-04 11:00")  # report: 1 business hour
    care, manager = await world.caller("care_a"), await world.caller("manager_a")
    world.clock.now = at("2025-03-04 10:30")
    version = (await transitions.transition(care, order_id(gid), "number", 1)).version
    found = await order(world, gid)
    assert found["clock"]["reported"]["status"] == "MET"
    assert found["currentStepDueAt"] == iso("2025-03-05 10:30")  # 24 natural hours
    world.clock.now = at("2025-03-05 09:00")
    version = (await transitions.transition(care, order_id(gid), "submit_review", version)).version
    found = await order(world, gid)
    assert found["clock"]["determining"]["status"] == "MET"
    assert found["currentStepDueAt"] == iso("2025-03-05 13:00")  # review: 4 business hours
    world.clock.now = at("2025-03-05 12:00")
    version = (await transitions.transition(manager, order_id(gid), "approve", version)).version
    # accountability: 8 business hours, 6 today and 2 tomorrow
    assert (await order(world, gid))["currentStepDueAt"] == iso("2025-03-06 11:00")
    world.clock.now = at("2025-03-06 11:30")
    result = transitions.Resolution("责任人书面检讨，向客户致歉", "扣绩效分", "服务顾问态度生硬")
    await transitions.close(care, order_id(gid), result, version)
    found = await order(world, gid)
    assert found["state"] == "handled"
    assert found["clock"]["accountability"]["status"] == "MET_LATE"
    for caller in (care, manager):
        await caller.db.close()


async def test_an_unreachable_customer_gives_responsibility_48_hours(database):
    world = await make_world(database, "generic-4s")
    gid, version = await numbered(world)
    world.clock.now = at("2025-03-05 09:00")
    variables = {"id": gid, "expectedVersion": version, "fact": "customer_unreachable"}
    answer = (
        await query(world, "care_a", RECORD_FACT, input={**variables, "comment": "三次未接"})
    )["recordOrderFact"]
    assert answer["__typename"] == "WorkOrderPayload"
    found = await order(world, gid)
    assert found["currentStepDueAt"] == iso("2025-03-06 10:30")  # 48 natural hours from 10:30
    assert [f["code"] for f in found["facts"]] == ["customer_unreachable"]
    assert found["history"][-1]["kind"] == "fact_recorded"
    world.clock.now = at("2025-03-05 11:00")  # past 24 hours, within 48
    assert (await order(world, gid))["clock"]["determining"]["status"] != "BREACHED"
    version = answer["order"]["version"]
    again = await query(
        world, "care_a", RECORD_FACT, input={**variables, "expectedVersion": version}
    )
    assert again["recordOrderFact"]["__typename"] == "TransitionNotAllowed"
    care = await world.caller("care_a")
    world.clock.now = at("2025-03-06 10:00")
    await transitions.transition(care, order_id(gid), "submit_review", version)
    await care.db.close()
    assert (await order(world, gid))["clock"]["determining"]["status"] == "MET"


async def test_an_unknown_fact_is_refused_by_field_and_changes_nothing(database):
    world = await make_world(database, "generic-4s")
    gid, version = await numbered(world)
    before = await order(world, gid)
    answer = (
        await query(
            world,
            "care_a",
            RECORD_FACT,
            input={"id": gid, "expectedVersion": version, "fact": "customer_away"},
        )
    )["recordOrderFact"]
    assert answer["__typename"] == "ValidationError"
    assert answer["fields"][0]["path"] == ["fact"]
    assert "customer_unreachable" in answer["fields"][0]["message"]
    after = await order(world, gid)
    assert after["version"] == version and after["facts"] == []
    assert after["currentStepDueAt"] == before["currentStepDueAt"]


async def test_a_pending_matter_stops_the_responsibility_clock(database):
    world = await make_world(database, "generic-4s")
    gid, version = await numbered(world, "parts_delay")
    care = await world.caller("care_a")
    world.clock.now = at("2025-03-04 16:30")  # 6 of the 24 hours used
    version = (
        await transitions.transition(
            care, order_id(gid), "set_pending", version, "配件延时，记入未了事宜台帐"
        )
    ).version
    found = await order(world, gid)
    assert found["state"] == "pending" and found["currentStepDueAt"] is None
    world.clock.now = at("2025-03-10 09:00")  # the customer is back
    await transitions.transition(care, order_id(gid), "resume", version)
    await care.db.close()
    assert (await order(world, gid))["currentStepDueAt"] == iso("2025-03-11 03:00")


async def test_the_person_complained_about_never_handles_it_and_tiers_climb(database):
    world = await make_world(database, "generic-4s")
    world.clock.now = at("2025-03-04 10:00")
    involved = [world.user_gid("care_a")]
    gid = (
        await register(
            world, channel="phone", category="service_attitude", involvedStaffIds=involved
        )
    )["id"]
    manager = await world.caller("manager_a")
    with pytest.raises(InvalidInputError, match="can never handle it"):
        await assignment.assign(manager, order_id(gid), world.users["care_a"], None, 1)
    assert (await order(world, gid))["version"] == 1
    version = (await escalation.escalate(manager, order_id(gid), "一级无法解决", 1)).version
    assert (await order(world, gid))["tier"] == "TIER2"
    version = (
        await escalation.escalate(manager, order_id(gid), "重大投诉报总经理", version)
    ).version
    assert (await order(world, gid))["tier"] == "TIER3"
    # The profile records no outcomes: the engine knows none for it.
    with pytest.raises(InvalidInputError, match="unknown outcome 'settled'"):
        await order_facts.record_outcome(manager, order_id(gid), "settled", version)
    await manager.db.close()


async def test_the_months_statement_assesses_each_forms_four_time_rules(database):
    """§C step 6: CSC assesses each form for timeliness; kpis.yaml counts each time rule."""
    world = await make_world(database, "generic-4s")
    on_time, version = await numbered(world)
    care, manager = await world.caller("care_a"), await world.caller("manager_a")
    for when, caller, step in (
        ("2025-03-05 09:00", care, "submit_review"),
        ("2025-03-05 12:00", manager, "approve"),
    ):
        world.clock.now = at(when)
        version = (await transitions.transition(caller, order_id(on_time), step, version)).version
    world.clock.now = at("2025-03-06 11:30")  # accountability was due at 11:00
    result = transitions.Resolution("书面检讨，向客户致歉", "扣绩效分", "服务顾问态度生硬")
    version = (await transitions.close(care, order_id(on_time), result, version)).version
    world.clock.now = at("2025-03-06 14:00")
    await transitions.transition(manager, order_id(on_time), "archive", version)
    world.clock.now = at("2025-03-10 10:00")  # the same customer on the same issue again
    late = (await register(world, channel="on_site", category="service_attitude"))["id"]
    world.clock.now = at("2025-03-10 11:30")  # reported at 10:00, due numbered by 11:00
    await transitions.transition(care, order_id(late), "number", 1)
    for caller in (care, manager):
        await caller.db.close()
    async with database.platform() as session, session.begin():  # the world is made today
        dated = update(Tenant).where(Tenant.id == world.tenant_id)
        await session.execute(dated.values(created_at=at("2025-01-01 00:00")))

    run = await reconcile(database, world.tenant_id, "2025-03", now=at("2025-04-02 10:00"))
    assert run.issued
    async with database.reader(world.tenant_id) as session:
        outcomes = (await session.scalars(select(KpiOrderOutcome))).all()
        lines = (
            await session.scalars(
                select(KpiStatementLine).where(KpiStatementLine.level == "dealer")
            )
        ).all()
    found = {(o.work_order_id, o.kpi): o for o in outcomes}
    assert {kpi: o.outcome for (oid, kpi), o in found.items() if oid == order_id(on_time)} == {
        "timely_report": "timely",
        "timely_determination": "timely",
        "timely_review": "timely",
        "timely_accountability": "not_timely",
        "first_time_resolution": "not_timely",  # the late form repeats it within 7 days
    }
    accountability = found[(order_id(on_time), "timely_accountability")]
    assert (accountability.due_at, accountability.at) == (
        at("2025-03-06 11:00"),
        at("2025-03-06 11:30"),
    )
    # The late form: numbered half an hour late, its responsibility still open past 24 hours,
    # never reviewed (no clock, not counted), not closed (first-time resolution pending).
    assert {kpi: o.outcome for (oid, kpi), o in found.items() if oid == order_id(late)} == {
        "timely_report": "not_timely",
        "timely_determination": "not_timely",
        "first_time_resolution": "pending",
    }
    repeated = found[(order_id(on_time), "first_time_resolution")]
    assert (repeated.due_at, repeated.at) == (at("2025-03-13 14:00"), at("2025-03-10 10:00"))
    assert found[(order_id(late), "timely_determination")].due_at == at("2025-03-11 11:30")
    counts = {
        line.kpi: (line.population, line.timely, line.not_timely, line.pending) for line in lines
    }
    assert counts == {
        "timely_report": (2, 1, 1, 0),
        "timely_determination": (2, 1, 1, 0),
        "timely_review": (1, 1, 0, 0),
        "timely_accountability": (1, 0, 1, 0),
        "first_time_resolution": (2, 0, 1, 1),
    }


async def test_the_ledger_reminds_the_customer_manager_on_the_4th_of_last_months_matters(database):
    """§C step 4.4: on the 4th the 客户经理 reminds last month's pending-matter customers."""
    world = await make_world(database, "generic-4s")
    march, version = await numbered(world, "parts_delay")
    care = await world.caller("care_a")
    world.clock.now = at("2025-03-04 16:30")
    comment = "配件延时，记入未了事宜台帐"
    march_version = (
        await transitions.transition(care, order_id(march), "set_pending", version, comment)
    ).version
    world.clock.now = at("2025-04-01 10:00")
    april = (await register(world, channel="on_site", category="parts_delay"))["id"]
    world.clock.now = at("2025-04-01 10:30")
    version = (await transitions.transition(care, order_id(april), "number", 1)).version
    world.clock.now = at("2025-04-02 10:00")
    await transitions.transition(care, order_id(april), "set_pending", version, comment)
    world.clock.now = at("2025-04-01 11:00")
    handling = (await register(world, channel="on_site", category="service_attitude"))["id"]
    await transitions.transition(care, order_id(handling), "number", 1)  # not on the ledger

    async def reminders() -> set[tuple[str, int | None]]:
        return {(m.key, m.recipient_id) for m in await messages(world, "workorder.tracking")}

    care_a = world.users["care_a"]

    def key(gid: str, month: str) -> tuple[str, int]:
        return (f"tracking:{order_id(gid)}:pending_matters:{month}:to:{care_a}", care_a)

    await tracking.remind(database, at("2025-04-04 08:59"))  # March's round: nothing before March
    assert await reminders() == set()
    for _ in range(2):  # a duplicate tick sends nothing more
        await tracking.remind(database, at("2025-04-04 09:00"))
    # The March matter reminds its store's customer manager (and nobody at another store); the
    # one put on the ledger on 2 April waits for May.
    assert await reminders() == {key(march, "2025-04")}
    await tracking.remind(database, at("2025-05-04 09:30"))
    may = {key(march, "2025-05"), key(april, "2025-05")}
    assert await reminders() == {key(march, "2025-04")} | may
    world.clock.now = at("2025-05-10 09:00")  # the customer is back: off the ledger
    await transitions.transition(care, order_id(march), "resume", march_version)
    await care.db.close()
    await tracking.remind(database, at("2025-06-04 09:00"))
    assert await reminders() == {key(march, "2025-04"), key(april, "2025-06")} | may
    subject = (await messages(world, "workorder.tracking"))[0].subject
    assert subject.startswith("【跟进提醒】未了事宜月度提醒") and "(2025-04)" in subject
