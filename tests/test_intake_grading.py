"""Grades proposed at intake by the profile's rules (GTMC), operator overrides, and immediate
alerts."""

from __future__ import annotations

from sqlalchemy import select
from support import counting, make_world, registration

from schema.app import schema
from schema.context import Context
from server.db.models import OutboxMessage, WorkOrderEvent


def gtmc_intake(world, **overrides):
    return registration(world, channel="call_centre_new", category="sales", **overrides)


async def register_gtmc(world, **overrides):
    data = await world.gql("operator", "RegisterComplaint", input=gtmc_intake(world, **overrides))
    return data["registerComplaint"]


async def test_replacement_and_local_media_propose_important_preliminary(database):
    world = await make_world(database, "gtmc")
    proposal = await world.gql(
        "operator",
        "GradeProposal",
        category="sales",
        flags=["local_media"],
        demands=["replacement"],
    )
    assert proposal["gradeProposal"]["grade"] == "important_preliminary"
    order = await register_gtmc(world, flags=["local_media"], demands=["replacement"])
    assert order["order"]["grade"] == "important_preliminary"


async def test_cctv_proposes_important_and_nothing_proposes_general(database):
    world = await make_world(database, "gtmc")
    assert (await register_gtmc(world, flags=["cctv", "local_media"]))["order"][
        "grade"
    ] == "important"
    assert (await register_gtmc(world))["order"]["grade"] == "general"


async def test_an_override_needs_a_reason_and_is_recorded(database):
    world = await make_world(database, "gtmc")
    refused = await register_gtmc(world, flags=["cctv"], grade="general")
    assert refused["__typename"] == "ValidationError"
    assert (
        refused["fields"][0]["path"] == ["gradeOverrideReason"]
        and "propose grade important" in refused["fields"][0]["message"]
    )
    order = await register_gtmc(
        world,
        flags=["cctv"],
        grade="general",
        gradeOverrideReason="央视记者为客户亲属，已澄清无报道意向",
    )
    assert order["order"]["grade"] == "general"
    history = (await world.gql("se", "OrderDetail", id=order["order"]["id"]))["workOrder"][
        "history"
    ]
    assert history[0]["kind"] == "registered"
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        event = await session.scalar(
            select(WorkOrderEvent).where(WorkOrderEvent.kind == "registered")
        )
    await db.close()
    assert event.data["grade_override"] == {
        "proposed": "important",
        "chosen": "general",
        "reason": "央视记者为客户亲属，已澄清无报道意向",
    }


async def test_the_override_reason_reads_back_and_is_null_without_an_override(database):
    world = await make_world(database, "gtmc")
    reason = "央视记者为客户亲属，已澄清无报道意向"
    overridden = await register_gtmc(
        world, flags=["cctv"], grade="general", gradeOverrideReason=reason
    )
    proposed = await register_gtmc(world, flags=["cctv"])
    read = []
    for registered in (overridden, proposed):
        detail = await world.gql("se", "OrderDetail", id=registered["order"]["id"])
        read.append(detail["workOrder"]["gradeOverrideReason"])
    assert read == [reason, None]
    caller = await world.caller("se")
    page = (
        "{ workOrders(first: 10) { ... on WorkOrderConnection {"
        " edges { node { gradeOverrideReason } } } } }"
    )
    try:
        with counting(world.database) as statements:
            result = await schema.execute(page, context_value=Context(caller, "t"))
    finally:
        await caller.db.close()
    edges = result.data["workOrders"]["edges"]
    assert {e["node"]["gradeOverrideReason"] for e in edges} == {reason, None}
    assert sum("work_order_events" in s for s in statements) == 1  # one batch for the page


async def test_a_grade_proposal_refuses_codes_the_profile_does_not_know(database):
    world = await make_world(database, "gtmc")

    async def proposal(**arguments):
        return (await world.gql("operator", "GradeProposal", **arguments))["gradeProposal"]

    refused = await proposal(category="sales", flags=["local_media", "tv"])
    assert refused["__typename"] == "ValidationError"
    assert [f["path"] for f in refused["fields"]] == [["flags[1]"]]
    assert "'tv'" in refused["fields"][0]["message"]
    unknown_category = await proposal(category="salse")
    assert unknown_category["__typename"] == "ValidationError"
    assert [f["path"] for f in unknown_category["fields"]] == [["category"]]
    demand = await proposal(category="sales", demands=["moon"])
    assert [f["path"] for f in demand["fields"]] == [["demands[0]"]]


async def test_a_replacement_demand_alerts_the_dealer_manager_and_the_region_at_once(database):
    world = await make_world(database, "gtmc")
    await register_gtmc(world, demands=["replacement"])
    db = world.database.tenant(world.tenant_id)
    async with db.read() as session:
        recipients = set(
            (
                await session.scalars(
                    select(OutboxMessage.recipient_id).where(
                        OutboxMessage.topic == "workorder.alert"
                    )
                )
            ).all()
        )
    await db.close()
    assert recipients == {world.users[u] for u in ("manager_a", "gm_a", "rbo_east")}
