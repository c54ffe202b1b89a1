"""The VW profile (source 000) walked through: a major fault gets the 30-minute response and its
written reports due at once, escalated to the RSSC; the handler sees the playbook of the order's
situation; the order climbs dealer → RSSC → HQ; an ordinary complaint owes nothing."""

from __future__ import annotations

from scenarios import at, iso, messages, order, order_id, query
from support import make_world, register

from server.services import contacts, escalation, transitions

REFUND = {"demands": ["refund"], "flags": ["major_fault"]}


async def test_a_major_fault_with_a_refund_demand_is_reported_at_once(database):
    world = await make_world(database, "vw")
    world.clock.now = at("2025-03-04 10:00")  # a Tuesday
    gid = (await register(world, channel="csc_forward", category="B3", **REFUND))["id"]
    found = await order(world, gid)
    assert (found["grade"], found["tier"]) == ("major_fault", "DLR")
    assert found["responseDueAt"] == iso("2025-03-04 10:30")  # 30 business minutes
    assert found["closureDueAt"] is None  # the source sets no closure target
    reports = {r["code"]: r for r in found["writtenReports"]}
    assert set(reports) == {"major_fault_report", "return_or_compensation_report"}
    for report in reports.values():
        assert report["dueAt"] == iso("2025-03-04 10:00")  # due at once, at registration
        assert (report["escalatedTo"], report["submittedAt"]) == ("RSSC", None)
    assert reports["major_fault_report"]["label"]["zh"] == "重大故障书面报告"
    told = await messages(world, "workorder.written_report")
    # The RSSC's managers (who may assign at the order's region) are told, once per report.
    assert {m.recipient_id for m in told} == {world.users["rbo_east"]}
    assert sorted(m.body["report"] for m in told) == sorted(reports)
    assert found["playbook"][0] == {
        "zh": "首先安抚、沟通和控制用户",
        "en": "Reassure, communicate with and control the user first",
    }
    assert len(found["playbook"]) == 4


async def test_the_flow_climbs_dealer_rssc_hq_and_the_response_is_met_to_the_minute(database):
    world = await make_world(database, "vw")
    world.clock.now = at("2025-03-04 17:50")  # 10 business minutes left today
    gid = (await register(world, channel="csc_forward", category="A3", flags=["major_fault"]))["id"]
    found = await order(world, gid)
    assert found["responseDueAt"] == iso("2025-03-05 09:20")  # 10 today, 20 tomorrow
    care = await world.caller("care_a")
    world.clock.now = at("2025-03-05 09:20")
    await contacts.log_contact(care, order_id(gid), "reached", "已联系客户，紧急订购缺件", 1)
    found = await order(world, gid)
    assert found["clock"]["response"]["status"] == "MET"
    assert found["playbook"][0]["en"].startswith("Commit to sourcing the")
    version = found["version"]
    version = (await transitions.transition(care, order_id(gid), "take_up", version)).version
    manager = await world.caller("manager_a")
    why = "缺件需RSSC协调紧急资源"
    version = (await escalation.escalate(manager, order_id(gid), why, version)).version
    assert (await order(world, gid))["tier"] == "RSSC"
    rbo = await world.caller("rbo_east")
    version = (await escalation.escalate(rbo, order_id(gid), "需总部支持", version)).version
    assert (await order(world, gid))["tier"] == "HQ"
    resolution = transitions.Resolution("紧急调件完成维修", "提供代步车")
    await transitions.close(care, order_id(gid), resolution, version)
    found = await order(world, gid)
    assert found["state"] == "handled" and found["clock"]["closure"]["status"] == "MET"
    for caller in (care, manager, rbo):
        await caller.db.close()


async def test_an_ordinary_complaint_owes_no_report_and_has_no_response_target(database):
    world = await make_world(database, "vw")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="dealer_phone", category="A4"))["id"]
    found = await order(world, gid)
    assert found["grade"] == "general" and found["responseDueAt"] is None
    assert found["writtenReports"] == [] and found["playbook"] == []  # A4 lost its points
    assert await messages(world, "workorder.written_report") == []


SUBMIT = """
mutation Submit($input: SubmitWrittenReportInput!) {
  submitWrittenReport(input: $input) {
    __typename
    ... on WorkOrderPayload { order { version writtenReports { code submittedAt } } }
    ... on NotPermitted { permission }
    ... on TransitionNotAllowed { message }
  }
}
"""


async def test_a_handler_submits_the_report_once_and_others_may_not(database):
    world = await make_world(database, "vw")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="csc_forward", category="B3", flags=["major_fault"]))["id"]
    report = (await order(world, gid))["writtenReports"][0]["id"]
    variables = {"id": report, "expectedVersion": 1}
    refused = (await query(world, "operator", SUBMIT, input=variables))["submitWrittenReport"]
    assert refused == {"__typename": "NotPermitted", "permission": "workorder.handle"}
    assert (await order(world, gid))["writtenReports"][0]["submittedAt"] is None
    hidden = (await query(world, "care_b", SUBMIT, input=variables))["submitWrittenReport"]
    assert hidden["__typename"] == "NotFound"  # another dealer's order
    world.clock.now = at("2025-03-04 10:20")
    done = (await query(world, "care_a", SUBMIT, input=variables))["submitWrittenReport"]
    assert done["order"]["writtenReports"] == [
        {"code": "major_fault_report", "submittedAt": iso("2025-03-04 10:20")}
    ]
    again = {"id": report, "expectedVersion": done["order"]["version"]}
    twice = (await query(world, "care_a", SUBMIT, input=again))["submitWrittenReport"]
    assert twice["__typename"] == "TransitionNotAllowed"
    assert (await order(world, gid))["history"][-1]["kind"] == "written_report_submitted"
