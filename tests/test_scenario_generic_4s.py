"""The generic-4S profile (source 002 §C) walked through: report 1 business hour, responsibility
24 natural hours (48 once the customer could not be reached), review 4 business hours,
accountability 8 business hours, the three internal tiers, the pending-matters ledger, and the
person complained about never handling the complaint."""

from __future__ import annotations

import pytest
from scenarios import at, iso, order, order_id, query
from support import make_world, register

from server.domain.errors import InvalidInputError
from server.services import assignment, escalation, order_facts, transitions

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
