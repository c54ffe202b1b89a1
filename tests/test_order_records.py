"""recordOrderFact and recordOrderOutcome: who may and may not, another tenant's order, and that
a refusal changes nothing."""

from __future__ import annotations

from scenarios import at, order, query
from support import make_world, register

FACT = """
mutation Fact($input: RecordOrderFactInput!) {
  recordOrderFact(input: $input) {
    __typename
    ... on NotPermitted { permission }
  }
}
"""
OUTCOME = """
mutation Outcome($input: RecordOrderOutcomeInput!) {
  recordOrderOutcome(input: $input) {
    __typename
    ... on TransitionNotAllowed { message }
  }
}
"""


async def test_only_a_handler_records_a_fact_and_a_refusal_changes_nothing(database):
    world = await make_world(database, "generic-4s")
    world.clock.now = at("2025-03-04 10:00")
    gid = (await register(world, channel="on_site", category="quality"))["id"]
    variables = {"id": gid, "expectedVersion": 1, "fact": "customer_unreachable"}
    refused = (await query(world, "operator", FACT, input=variables))["recordOrderFact"]
    assert refused == {"__typename": "NotPermitted", "permission": "workorder.handle"}
    # care_b handles at another dealer: the order is not theirs to see.
    hidden = (await query(world, "care_b", FACT, input=variables))["recordOrderFact"]
    assert hidden["__typename"] == "NotFound"
    found = await order(world, gid)
    assert found["version"] == 1 and found["facts"] == []
    done = (await query(world, "care_a", FACT, input=variables))["recordOrderFact"]
    assert done["__typename"] == "WorkOrderPayload"


async def test_another_tenant_s_order_is_not_found(database):
    mine, theirs = (
        await make_world(database, "generic-4s"),
        await make_world(database, "generic-4s"),
    )
    gid = (await register(theirs, channel="on_site", category="quality"))["id"]
    variables = {"id": gid, "expectedVersion": 1, "fact": "customer_unreachable"}
    answer = (await query(mine, "se", FACT, input=variables))["recordOrderFact"]
    assert answer["__typename"] == "NotFound"
    assert (await order(theirs, gid))["facts"] == []


async def test_an_outcome_outside_its_states_is_refused_and_changes_nothing(database):
    world = await make_world(database, "jac")
    gid = (await register(world, channel="walk_in", category="service"))["id"]
    variables = {"id": gid, "expectedVersion": 1, "outcome": "settled"}
    answer = (await query(world, "care_a", OUTCOME, input=variables))["recordOrderOutcome"]
    assert answer["__typename"] == "TransitionNotAllowed"
    assert "negotiation" in answer["message"]
    found = await order(world, gid)
    assert found["version"] == 1 and found["facts"] == []


PAGE = """
query Page {
  workOrders(first: 10) {
    __typename
    ... on WorkOrderConnection {
      edges { node { number facts { code recordedBy { username } } writtenReports { code } } }
    }
  }
}
"""


async def test_a_page_shows_each_order_s_facts_and_reports(database):
    world = await make_world(database, "generic-4s")
    world.clock.now = at("2025-03-04 10:00")
    first = (await register(world, channel="on_site", category="quality"))["id"]
    await register(world, channel="on_site", category="parts_delay")
    variables = {"id": first, "expectedVersion": 1, "fact": "customer_unreachable"}
    await query(world, "care_a", FACT, input=variables)
    edges = (await query(world, "se", PAGE))["workOrders"]["edges"]
    facts = sorted(
        ([f["code"], f["recordedBy"]["username"]] for e in edges for f in e["node"]["facts"]),
    )
    assert facts == [["customer_unreachable", "care_a"]]
    assert [e["node"]["writtenReports"] for e in edges] == [[], []]
