"""The JAC profile (source 001) walked through: the service manager's contact within 2 business
hours and the reply within 1 natural day; the major-complaint branch (report, the regional
manager's decision, the technical appraisal, negotiation) with its outcome recorded; the revisit
within 1 day after handling."""

from __future__ import annotations

import pytest
from scenarios import at, iso, order, order_id
from support import make_world, register

from server.domain.errors import TransitionNotAllowedError
from server.services import contacts, escalation, order_facts, regrading, revisits, transitions


async def test_a_complaint_within_authority_is_contacted_and_replied_to_in_time(database):
    world = await make_world(database, "jac")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="revisit", category="repair"))["id"]
    found = await order(world, gid)
    assert (found["grade"], found["tier"], found["state"]) == ("general", "STATION", "received")
    assert found["responseDueAt"] == iso("2025-03-04 12:00")  # 2 business hours
    assert found["closureDueAt"] == iso("2025-03-05 10:00")  # 1 natural day
    manager, care = await world.caller("manager_a"), await world.caller("care_a")
    world.clock.now = at("2025-03-04 11:59")
    version = (await contacts.log_contact(manager, order_id(gid), "reached", "服务经理致电", 1))[
        1
    ].version
    version = (await transitions.transition(care, order_id(gid), "take_up", version)).version
    world.clock.now = at("2025-03-05 10:01")  # a minute late
    result = transitions.Resolution("重新调整四轮定位，客户认可")
    await transitions.close(care, order_id(gid), result, version)
    found = await order(world, gid)
    assert found["clock"]["response"]["status"] == "MET"
    assert found["clock"]["closure"]["status"] == "MET_LATE"
    revisit = (await revisits.by_orders(care, [order_id(gid)]))[0][0]
    assert revisit.due_at == at("2025-03-06 10:01")  # revisit within 1 natural day
    for caller in (manager, care):
        await caller.db.close()


async def test_a_major_complaint_is_appraised_and_ends_in_arbitration(database):
    world = await make_world(database, "jac")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="walk_in", category="product", demands=["replacement"]))[
        "id"
    ]
    care, manager = await world.caller("care_a"), await world.caller("manager_a")
    rbo, se = await world.caller("rbo_east"), await world.caller("se")
    oid = order_id(gid)
    version = (await transitions.transition(care, oid, "take_up", 1)).version
    why = "超出服务站权限，填写经销商重大投诉报告经一家亲上报"
    version = (await transitions.transition(manager, oid, "report_major", version, why)).version
    version = (await regrading.regrade(manager, oid, "major", "重大投诉", version)).version
    version = (await escalation.escalate(manager, oid, "报区域经理", version)).version
    found = await order(world, gid)
    assert (found["state"], found["grade"], found["tier"]) == ("major_reported", "major", "REGION")
    assert found["closureDueAt"] is None  # no deadline for the major-complaint flow
    # An outcome belongs to the negotiation, not before it.
    with pytest.raises(TransitionNotAllowedError, match="negotiation"):
        await order_facts.record_outcome(care, oid, "settled", version)
    version = (await transitions.transition(rbo, oid, "request_appraisal", version)).version
    version = (await escalation.escalate(rbo, oid, "需分公司技术部鉴定", version)).version
    assert (await order(world, gid))["tier"] == "BRANCH_TECH"
    opinion = "鉴定结论：变速箱阀体故障，建议更换总成"
    version = (await transitions.transition(se, oid, "appraised", version, opinion)).version
    assert (await order(world, gid))["state"] == "negotiation"
    version = (
        await order_facts.record_outcome(care, oid, "arbitration", version, "未达成一致")
    ).version
    with pytest.raises(TransitionNotAllowedError, match="recorded already"):
        await order_facts.record_outcome(care, oid, "settled", version)
    found = await order(world, gid)
    assert [(f["kind"], f["code"]) for f in found["facts"]] == [("outcome", "arbitration")]
    assert found["history"][-1]["kind"] == "outcome_recorded"
    result = transitions.Resolution("客户申请第三方仲裁，按仲裁结果执行")
    await transitions.close(care, oid, result, version)
    assert (await order(world, gid))["state"] == "handled"
    for caller in (care, manager, rbo, se):
        await caller.db.close()


async def test_without_appraisal_the_regional_manager_coordinates_to_a_settlement(database):
    world = await make_world(database, "jac")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="walk_in", category="service"))["id"]
    care, manager, rbo = (
        await world.caller("care_a"),
        await world.caller("manager_a"),
        await world.caller("rbo_east"),
    )
    oid = order_id(gid)
    version = (await transitions.transition(care, oid, "take_up", 1)).version
    version = (
        await transitions.transition(manager, oid, "report_major", version, "超权限")
    ).version
    version = (await transitions.transition(rbo, oid, "coordinate", version)).version
    version = (await order_facts.record_outcome(care, oid, "settled", version)).version
    found = await order(world, gid)
    assert found["state"] == "negotiation" and found["facts"][0]["code"] == "settled"
    for caller in (care, manager, rbo):
        await caller.db.close()
