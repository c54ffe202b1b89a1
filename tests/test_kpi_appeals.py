"""Appeals (申诉) against a KPI outcome, and reading statements: an accepted appeal changes the
next statement by exactly its order and a rejected one changes nothing; who may appeal, decide and
read what; refusals are typed, name the field and write nothing."""

from __future__ import annotations

from datetime import timedelta

from kpi_month import AS_OF, MONTH, cn, load_month
from sqlalchemy import func, select
from support import make_world

from schema.ids import encode
from server.db.models import (
    KpiAdjustment,
    KpiAppeal,
    KpiAppealDecision,
    KpiStatementLine,
    WorkOrderEvent,
)
from server.services.reconciliation import reconcile

APRIL_RUN = cn(1, 3, month=5)
FILED = AS_OF + timedelta(days=2)


async def _issued_march(database):
    world = await make_world(database)
    ids = await load_month(world)
    run = await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    world.clock.now = FILED
    return world, ids, encode("KpiStatement", run.statement_id)


def _appeal(statement, ids, key="a3", kpi="timely_response", **overrides):
    data = {
        "statementId": statement,
        "workOrderId": encode("WorkOrder", ids[key]),
        "kpi": kpi,
        "reason": "客户电话记录显示 10:40 已联系",
        "evidence": "通话记录截图 #4411",
    }
    return {**data, **overrides}


async def _file(world, statement, ids, username="manager_a", **overrides):
    data = await world.gql(username, "FileAppeal", input=_appeal(statement, ids, **overrides))
    return data["fileAppeal"]


async def _decide(world, appeal_id, username="rbo_east", accept=True, reason="记录属实"):
    data = await world.gql(
        username, "DecideAppeal", input={"appealId": appeal_id, "accept": accept, "reason": reason}
    )
    return data["decideAppeal"]


async def _april(world):
    run = await reconcile(world.database, world.tenant_id, "2026-04", now=APRIL_RUN)
    async with world.database.reader(world.tenant_id) as session:
        rows = (
            await session.scalars(
                select(KpiStatementLine).where(KpiStatementLine.statement_id == run.statement_id)
            )
        ).all()
    root = len(world.path(""))
    return {
        (r.org_path[root:], r.kpi): (
            r.population,
            r.timely,
            r.not_timely,
            r.pending,
            r.adjusted_timely,
            r.adjusted_not_timely,
        )
        for r in rows
    }


async def _counts(world):
    async with world.database.reader(world.tenant_id) as session:
        return [
            await session.scalar(select(func.count()).select_from(model))
            for model in (KpiAppeal, KpiAppealDecision, KpiAdjustment, WorkOrderEvent)
        ]


async def test_an_accepted_appeal_changes_the_next_statement_by_exactly_that_order(database):
    untouched, _, _ = await _issued_march(database)
    rejected, rejected_ids, rejected_statement = await _issued_march(database)
    accepted, ids, statement = await _issued_march(database)

    filed = await _file(rejected, rejected_statement, rejected_ids)
    no = await _decide(rejected, filed["appeal"]["id"], accept=False, reason="无通话记录")
    assert no["appeal"]["decision"]["accepted"] is False
    assert no["appeal"]["decision"]["carriedInto"] is None

    filed = await _file(accepted, statement, ids)
    assert filed["__typename"] == "KpiAppealPayload", filed
    assert (filed["appeal"]["outcome"], filed["appeal"]["period"]) == ("not_timely", MONTH)
    accepted.clock.now = FILED + timedelta(days=20)  # deciding has no deadline
    yes = await _decide(accepted, filed["appeal"]["id"])
    assert yes["appeal"]["decision"] == {
        "accepted": True,
        "reason": "记录属实",
        "decidedAt": "2026-04-22T18:00:00+00:00",
        "carriedInto": "2026-04",
    }
    # A re-run of March leaves the decision standing: a3 keeps the appeal's one adjustment.
    await reconcile(database, accepted.tenant_id, MONTH, now=AS_OF + timedelta(hours=1))
    async with database.reader(accepted.tenant_id) as session:
        causes = (
            await session.scalars(
                select(KpiAdjustment.cause).where(KpiAdjustment.work_order_id == ids["a3"])
            )
        ).all()
    assert causes == ["appeal"]

    baseline = await _april(untouched)
    assert await _april(rejected) == baseline
    changed = await _april(accepted)
    nothing = (0, 0, 0, 0, 0, 0)  # a dealer with no order and no adjustment has no line
    differences = {
        k: (baseline.get(k, nothing), v) for k, v in changed.items() if baseline.get(k) != v
    }
    assert set(baseline) <= set(changed)
    assert sorted(differences) == [
        ("", "timely_response"),
        ("/east", "timely_response"),
        ("/east/dlr-a", "timely_response"),
    ]
    for before, after in differences.values():
        assert (after[4] - before[4], after[5] - before[5]) == (1, -1)
        assert after[:4] == before[:4]

    async with database.reader(accepted.tenant_id) as session:
        kinds = (
            await session.scalars(
                select(WorkOrderEvent.kind)
                .where(WorkOrderEvent.work_order_id == ids["a3"])
                .order_by(WorkOrderEvent.id)
            )
        ).all()
    assert kinds[-2:] == ["kpi.appeal_filed", "kpi.appeal_decided"]


async def test_refused_appeals_and_decisions_name_the_field_and_write_nothing(database):
    world, ids, statement = await _issued_march(database)
    before = await _counts(world)

    async def refused(result, typename, detail):
        assert result["__typename"] == typename, result
        if typename == "ValidationError":
            assert [f["path"] for f in result["fields"]] == detail
        elif typename == "NotPermitted":
            assert result["permission"] == detail
        assert await _counts(world) == before

    # another dealer's order: not even visible to dealer b's manager
    await refused(
        await _file(world, statement, ids, "manager_b"), "ValidationError", [["workOrderId"]]
    )
    # the RBO sees the order but does not appeal; the care specialist reads no KPI statement
    await refused(await _file(world, statement, ids, "rbo_east"), "NotPermitted", "kpi.appeal")
    await refused(await _file(world, statement, ids, "care_a"), "NotFound", None)
    # a timely outcome; an unknown KPI with an empty reason (every problem at once)
    await refused(await _file(world, statement, ids, key="a1"), "ValidationError", [["kpi"]])
    await refused(
        await _file(world, statement, ids, kpi="speed", reason=" "),
        "ValidationError",
        [["reason"], ["kpi"]],
    )
    # an order of April, not in March's population
    await refused(
        await _file(world, statement, ids, key="b11-april"), "ValidationError", [["workOrderId"]]
    )
    # a statement of another tenant answers like none
    other, other_ids, other_statement = await _issued_march(database)
    result = await _file(world, other_statement, ids)
    await refused(result, "NotFound", None)
    assert result["id"] == other_statement
    # after the profile's 10 days
    world.clock.now = AS_OF + timedelta(days=10, seconds=1)
    await refused(await _file(world, statement, ids), "ValidationError", [["statementId"]])

    world.clock.now = FILED
    filed = await _file(world, statement, ids)
    appeal_id = filed["appeal"]["id"]
    before = await _counts(world)
    await refused(await _file(world, statement, ids), "ValidationError", [["workOrderId"]])
    await refused(await _decide(world, appeal_id, "manager_a"), "NotPermitted", "kpi.decide")
    await refused(await _decide(world, appeal_id, "manager_c"), "NotFound", None)
    await refused(await _decide(world, appeal_id, reason=""), "ValidationError", [["reason"]])
    other_appeal = (await _file(other, other_statement, other_ids))["appeal"]["id"]
    await refused(await _decide(world, other_appeal, "se"), "NotFound", None)
    assert (await _decide(world, appeal_id, "se", accept=False))["__typename"] == "KpiAppealPayload"
    before = await _counts(world)
    await refused(await _decide(world, appeal_id), "ValidationError", [["appealId"]])


async def test_statements_show_each_caller_the_lines_where_it_reads_kpis(database):
    world, _, statement = await _issued_march(database)
    root = world.path("")

    async def lines(username, **variables):
        data = (await world.gql(username, "KpiStatements", **variables))["statements"]
        assert data["__typename"] == "KpiStatementList", data
        [found] = data["statements"]
        return {(line["orgPath"][len(root) :], line["kpi"]): line for line in found["lines"]}

    assert {path for path, _ in await lines("manager_a")} == {"/east/dlr-a"}
    assert {path for path, _ in await lines("rbo_east")} == {"/east", "/east/dlr-a", "/east/dlr-b"}
    assert len(await lines("se")) == 18
    assert {p for p, _ in await lines("se", orgUnitId=world.dealer_gid("c"))} == {"/west/dlr-c"}
    # the line shows the domain's rate: 11 of 12 settled responses timely
    mine = await lines("manager_a", period=MONTH)
    assert mine[("/east/dlr-a", "timely_response")]["rate"] == "0.9167"
    assert mine[("/east/dlr-a", "first_time_resolution")]["rate"] == "0.8889"  # 8 of 9 settled

    refused = (await world.gql("care_a", "KpiStatements"))["statements"]
    assert (refused["__typename"], refused["permission"]) == ("NotPermitted", "kpi.read")
    outside = (
        await world.gql(
            "rbo_east", "KpiStatements", orgUnitId=encode("OrgUnit", world.units["/west"])
        )
    )["statements"]
    assert [f["path"] for f in outside["fields"]] == [["orgUnitId"]]
    wrong = (await world.gql("se", "KpiStatements", period="2026-3"))["statements"]
    assert [f["path"] for f in wrong["fields"]] == [["period"]]

    one = (await world.gql("manager_a", "KpiStatement", id=statement))["statement"]
    assert (one["period"], len(one["lines"])) == (MONTH, 3)
    assert (await world.gql("care_a", "KpiStatement", id=statement))["statement"] == {
        "__typename": "NotFound",
        "message": "No KPI statement with this id is visible to you.",
        "id": statement,
    }
    _, _, other_statement = await _issued_march(database)
    hidden = (await world.gql("se", "KpiStatement", id=other_statement))["statement"]
    assert hidden["__typename"] == "NotFound"

    # a change after the close: one discrepancy of March, carried by April, seen where it counts
    await reconcile(database, world.tenant_id, "2026-04", now=APRIL_RUN)
    found = (await world.gql("rbo_east", "Discrepancies", period=MONTH))["discrepancies"]
    changes = {(a["orderNumber"], a["kpi"], a["cause"], a["period"]) for a in found["adjustments"]}
    assert changes == {
        ("SKD-TEST-010", "timely_closure", "settled", "2026-04"),
        ("SKD-TEST-012", "first_time_resolution", "settled", "2026-04"),
        ("SKD-TEST-020", "timely_closure", "settled", "2026-04"),
        ("SKD-TEST-024", "timely_closure", "settled", "2026-04"),
    }
    west = (
        await world.gql(
            "se", "Discrepancies", period=MONTH, orgUnitId=encode("OrgUnit", world.units["/west"])
        )
    )["discrepancies"]
    assert west["adjustments"] == []
    april = (await world.gql("manager_a", "KpiStatements", period="2026-04"))["statements"]
    [carried] = april["statements"]
    assert {a["orderNumber"] for a in carried["adjustments"]} == {"SKD-TEST-010", "SKD-TEST-012"}
