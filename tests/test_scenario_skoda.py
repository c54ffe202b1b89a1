"""The Skoda profile (source 004) walked through: an A complaint contacted in 120 business
minutes and closed in 3 working days, climbing dealer → RBO → sales SE; a B complaint that misses
its 7 working days becomes C at the SE tier; the revisit closes the order."""

from __future__ import annotations

from scenarios import at, iso, order, order_id
from support import make_world, register

from server.domain.revisit import Outcome
from server.services import (
    assignment,
    contacts,
    deadlines,
    escalation,
    revisit_results,
    revisits,
    transitions,
)


async def test_an_a_complaint_climbs_the_tiers_and_closes_after_the_revisit(database):
    world = await make_world(database, "skoda")
    world.clock.now = at("2025-03-04 17:00")  # a Tuesday, one business hour left
    gid = (await register(world, category="A4a"))["id"]
    found = await order(world, gid)
    assert (found["grade"], found["tier"]) == ("A", "DLR")
    assert found["responseDueAt"] == iso("2025-03-05 10:00")  # 60 today, 60 tomorrow
    assert found["closureDueAt"] == iso("2025-03-07 17:00")  # 3 working days
    oid = order_id(gid)
    se, manager, rbo = (
        await world.caller("se"),
        await world.caller("manager_a"),
        await world.caller("rbo_east"),
    )
    world.clock.now = at("2025-03-05 09:30")
    version = (await transitions.transition(se, oid, "review", 1)).version
    care = world.users["care_a"]
    version = (
        await assignment.assign(manager, oid, care, world.users["manager_a"], version)
    ).version
    version = (await contacts.log_contact(se, oid, "reached", "已致电客户", version))[1].version
    version = (await escalation.escalate(manager, oid, "经销商无法兑现", version)).version
    assert (await order(world, gid))["tier"] == "RBO"
    version = (await escalation.escalate(rbo, oid, "需销售SE协调", version)).version
    assert (await order(world, gid))["tier"] == "SALES_SE"
    world.clock.now = at("2025-03-07 16:59")
    result = transitions.Resolution("补发赠品", "补发脚垫", "承诺未登记", "客户满意")
    version = (await transitions.close(se, oid, result, version)).version
    found = await order(world, gid)
    assert found["clock"]["response"]["status"] == "MET"
    assert found["clock"]["closure"]["status"] == "MET"
    revisit = (await revisits.by_orders(se, [oid]))[0][0]
    assert revisit.due_at == at("2025-03-08 16:59")  # 24 natural hours
    await revisits.log_attempt(se, revisit.id, revisits.Attempt(Outcome.REACHED))
    answers = [("resolved", "solved"), ("handling", "satisfied")]
    await revisit_results.record_result(
        se, revisit.id, revisit_results.Result("satisfied", "很满意", answers)
    )
    version = (await order(world, gid))["version"]
    await transitions.transition(se, oid, "confirm", version)
    assert (await order(world, gid))["state"] == "closed"
    for caller in (se, manager, rbo):
        await caller.db.close()


async def test_a_b_complaint_late_by_a_minute_becomes_c_at_the_se_tier(database):
    world = await make_world(database, "skoda")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, category="A4a", grade="B", gradeOverrideReason="媒体转入"))["id"]
    assert (await order(world, gid))["closureDueAt"] == iso("2025-03-13 10:00")  # 7 working days
    await deadlines.scan(database, at("2025-03-13 09:59"))
    assert (await order(world, gid))["grade"] == "B"
    await deadlines.scan(database, at("2025-03-13 10:00"))
    world.clock.now = at("2025-03-13 10:02")
    found = await order(world, gid)
    assert (found["grade"], found["tier"], found["closureDueAt"]) == ("C", "SALES_SE", None)
