"""Conditional deadlines (docs/rules.md#conditional-deadlines): chosen by a recorded fact or by an
event, whether the clock is running when the condition comes to hold or starts later, and kept
when a regrade recomputes the clocks."""

from __future__ import annotations

from scenarios import at, iso, order, order_id
from support import make_world, register

from server.services import order_facts, regrading, transitions

BY_EVENT = {
    "facts": [],
    "deadlines": [
        # A running clock: resuming a pending matter gives responsibility 48 hours.
        {
            "clock": "determining",
            "when": {"event": "resume"},
            "target": 48,
            "unit": "natural_hours",
        },
        # A clock that starts later: an order that was pending gets a 2-hour review.
        {
            "clock": "reviewing",
            "when": {"event": "set_pending"},
            "target": 120,
            "unit": "business_minutes",
        },
    ],
}


async def numbered(world, **overrides):
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="on_site", category="quality", **overrides))["id"]
    care = await world.caller("care_a")
    world.clock.now = at("2025-03-04 10:30")
    version = (await transitions.transition(care, order_id(gid), "number", 1)).version
    return gid, care, version


async def test_an_event_retargets_a_running_clock_and_one_that_starts_later(database):
    world = await make_world(database, "generic-4s", conditional_deadlines=BY_EVENT)
    gid, care, version = await numbered(world)
    oid = order_id(gid)
    world.clock.now = at("2025-03-04 11:00")
    version = (
        await transitions.transition(care, oid, "set_pending", version, "客户没有时间")
    ).version
    world.clock.now = at("2025-03-04 11:30")
    version = (await transitions.transition(care, oid, "resume", version)).version
    # 30 minutes used before the pause; 47.5 hours left from 11:30.
    assert (await order(world, gid))["currentStepDueAt"] == iso("2025-03-06 11:00")
    world.clock.now = at("2025-03-04 12:00")
    await transitions.transition(care, oid, "submit_review", version)
    assert (await order(world, gid))["currentStepDueAt"] == iso("2025-03-04 14:00")
    await care.db.close()


async def test_without_the_event_the_clocks_keep_their_own_targets(database):
    world = await make_world(database, "generic-4s", conditional_deadlines=BY_EVENT)
    gid, care, version = await numbered(world)
    assert (await order(world, gid))["currentStepDueAt"] == iso("2025-03-05 10:30")
    world.clock.now = at("2025-03-04 12:00")
    await transitions.transition(care, order_id(gid), "submit_review", version)
    assert (await order(world, gid))["currentStepDueAt"] == iso("2025-03-04 16:00")
    await care.db.close()


async def test_a_regrade_keeps_the_target_a_recorded_fact_chose(database):
    world = await make_world(database, "generic-4s")
    gid, care, version = await numbered(world)
    oid = order_id(gid)
    version = (await order_facts.record_fact(care, oid, "customer_unreachable", version)).version
    manager = await world.caller("manager_a")
    await regrading.regrade(manager, oid, "major", "客户投诉至厂家", version)
    found = await order(world, gid)
    assert found["grade"] == "major"
    assert found["currentStepDueAt"] == iso("2025-03-06 10:30")  # still 48 hours
    for caller in (care, manager):
        await caller.db.close()
