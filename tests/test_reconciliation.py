"""The monthly reconciliation: a hand-computed month matches field by field; a statement is issued
once however often or concurrently the month is run; a re-run turns a change after the close into
one adjustment in the next month and leaves the issued statement as it was; bad months are refused
with nothing written; on PostgreSQL the tenant role cannot update or delete issued rows."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from kpi_month import AS_OF, LINES, MONTH, SPECS, cn, load_month
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError
from support import DEALERS, make_world

from server.db.models import (
    KpiAdjustment,
    KpiOrderOutcome,
    KpiStatement,
    KpiStatementLine,
    WorkOrder,
    WorkOrderClock,
)
from server.domain.errors import InvalidInputError
from server.services.reconciliation import reconcile

LETTERS = {"timely": "T", "not_timely": "N", "pending": "P"}
KPIS = ("timely_response", "timely_closure", "first_time_resolution")
FROZEN = (KpiStatement, KpiStatementLine, KpiOrderOutcome, KpiAdjustment)


async def _lines(world, statement_id):
    async with world.database.reader(world.tenant_id) as session:
        rows = (
            await session.scalars(
                select(KpiStatementLine).where(KpiStatementLine.statement_id == statement_id)
            )
        ).all()
    return {(row.org_path, row.kpi): row for row in rows}


async def _snapshot(world):
    """Every frozen row of the tenant, column by column."""
    out = {}
    async with world.database.reader(world.tenant_id) as session:
        for model in FROZEN:
            rows = (await session.scalars(select(model).order_by(model.id))).all()
            columns = [c.key for c in model.__table__.columns]
            out[model.__tablename__] = [tuple(getattr(r, c) for c in columns) for r in rows]
    return out


async def test_a_hand_computed_month_matches_field_by_field(database):
    world = await make_world(database)
    ids = await load_month(world)
    run = await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    assert run.issued and run.adjustments == 0
    lines = await _lines(world, run.statement_id)
    for dealer, kpis in LINES.items():
        for kpi, counts in kpis.items():
            line = lines[(world.path(DEALERS[dealer]), kpi)]
            assert line.level == "dealer"
            got = (line.population, line.timely, line.not_timely, line.pending)
            assert got == counts, (dealer, kpi)
            assert (line.adjusted_timely, line.adjusted_not_timely) == (0, 0)
    sums = {"/east": ("a", "b"), "/west": ("c",), "": ("a", "b", "c")}
    for where, dealers in sums.items():
        for kpi in KPIS:
            line = lines[(world.path(where), kpi)]
            expected = tuple(sum(LINES[d][kpi][i] for d in dealers) for i in range(4))
            assert (line.population, line.timely, line.not_timely, line.pending) == expected
    assert {row.level for row in lines.values()} == {"dealer", "region", "brand"}
    assert len(lines) == 6 * 3

    async with database.reader(world.tenant_id) as session:
        outcomes = (await session.scalars(select(KpiOrderOutcome))).all()
    letters = {order_id: ["-"] * 3 for order_id in ids.values()}
    found = {(o.work_order_id, o.kpi): o for o in outcomes}
    for o in outcomes:
        letters[o.work_order_id][KPIS.index(o.kpi)] = LETTERS[o.outcome]
    assert {s.key: "".join(letters[ids[s.key]]) for s in SPECS} == {s.key: s.expect for s in SPECS}
    # Which clock and by how much: the deadline and when it was met, or still open.
    late_closure = found[(ids["a4"], "timely_closure")]
    assert (late_closure.due_at, late_closure.at) == (cn(4) + timedelta(days=3), cn(8))
    still_open = found[(ids["a9-open-past-deadline"], "timely_closure")]
    assert (still_open.due_at, still_open.at) == (cn(23), None)
    repeated = found[(ids["a5-closed-repeated-day-6"], "first_time_resolution")]
    assert (repeated.due_at, repeated.at) == (cn(13), cn(12))
    breached = found[(ids["b9-breached-b-then-c"], "timely_closure")]
    assert (breached.due_at, breached.at) == (cn(17), cn(22))


async def test_running_a_month_twice_and_twice_at_once_issues_one_statement(database):
    world = await make_world(database)
    await load_month(world)
    first, second = await asyncio.gather(
        reconcile(database, world.tenant_id, MONTH, now=AS_OF),
        reconcile(database, world.tenant_id, MONTH, now=AS_OF),
    )
    assert sorted([first.issued, second.issued]) == [False, True]
    assert first.statement_id == second.statement_id
    before = await _snapshot(world)
    again = await reconcile(database, world.tenant_id, MONTH, now=AS_OF + timedelta(minutes=30))
    assert (again.issued, again.adjustments) == (False, 0)
    assert await _snapshot(world) == before
    assert len(before["kpi_statements"]) == 1
    assert before["kpi_adjustments"] == []


async def test_a_change_after_the_close_is_one_adjustment_in_the_next_month(database):
    world = await make_world(database)
    ids = await load_month(world)
    issued = await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    before = await _snapshot(world)
    # The response of a3 turns out to have been logged late: it was made within the two hours.
    async with database.writer(world.tenant_id) as session, session.begin():
        await session.execute(
            update(WorkOrderClock)
            .where(WorkOrderClock.work_order_id == ids["a3"], WorkOrderClock.name == "response")
            .values(stopped_at=cn(3, 11))
        )
    rerun = await reconcile(database, world.tenant_id, MONTH, now=AS_OF + timedelta(hours=1))
    assert (rerun.issued, rerun.statement_id, rerun.adjustments) == (False, issued.statement_id, 1)
    after = await _snapshot(world)
    for table in ("kpi_statements", "kpi_statement_lines", "kpi_order_outcomes"):
        assert after[table] == before[table]
    async with database.reader(world.tenant_id) as session:
        adjustment = (await session.scalars(select(KpiAdjustment))).one()
    assert (adjustment.work_order_id, adjustment.kpi, adjustment.period) == (
        ids["a3"],
        "timely_response",
        "2026-04",
    )
    assert (adjustment.from_outcome, adjustment.to_outcome, adjustment.cause) == (
        "not_timely",
        "timely",
        "rerun",
    )
    assert await reconcile(database, world.tenant_id, MONTH, now=AS_OF + timedelta(hours=2)) == (
        rerun.__class__(issued.statement_id, MONTH, issued=False, adjustments=0)
    )

    april = await reconcile(database, world.tenant_id, "2026-04", now=cn(1, 3, month=5))
    lines = await _lines(world, april.statement_id)
    dealer_a = lines[(world.path(DEALERS["a"]), "timely_response")]
    got = (dealer_a.population, dealer_a.adjusted_timely, dealer_a.adjusted_not_timely)
    assert got == (0, 1, -1)


async def test_issuing_a_month_settles_the_pending_orders_of_the_one_before(database):
    world = await make_world(database)
    ids = await load_month(world)
    await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    april = await reconcile(database, world.tenant_id, "2026-04", now=cn(1, 3, month=5))
    async with database.reader(world.tenant_id) as session:
        settled = (await session.scalars(select(KpiAdjustment).order_by(KpiAdjustment.id))).all()
    by_order = {(a.work_order_id, a.kpi): (a.from_outcome, a.to_outcome, a.cause) for a in settled}
    late = ("pending", "not_timely", "settled")
    # Still open, their deadlines passed in April; a12's seven days ended without a repeat;
    # b7 is still paused, a9 and b10 still open: they stay pending.
    assert by_order == {
        (ids["a10-open-not-due"], "timely_closure"): late,
        (ids["b6-response-open-past-deadline"], "timely_closure"): late,
        (ids["b10-registered-last-minute"], "timely_closure"): late,
        (ids["a12-closed-recently"], "first_time_resolution"): ("pending", "timely", "settled"),
    }
    assert april.adjustments == 4
    lines = await _lines(world, april.statement_id)
    east = lines[(world.path("/east"), "timely_closure")]
    assert (east.adjusted_timely, east.adjusted_not_timely) == (0, 3)


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2026-13", "is not a month written YYYY-MM"),
        ("March", "is not a month written YYYY-MM"),
        ("2026-04", "2026-04 has not ended in Asia/Shanghai"),
        ("2027-01", "2027-01 has not ended"),
        ("2025-05", "2025-05 ended before the tenant existed (2025-06)"),
    ],
)
async def test_a_month_not_over_or_before_the_tenant_is_refused_and_nothing_written(
    database, month, message
):
    world = await make_world(database)
    await load_month(world)
    with pytest.raises(InvalidInputError) as refused:
        await reconcile(database, world.tenant_id, month, now=AS_OF)
    [problem] = refused.value.problems
    assert problem.path == ("month",)
    assert message in problem.message
    assert all(rows == [] for rows in (await _snapshot(world)).values())


@pytest.mark.parametrize("database", ["postgresql"], indirect=True)
async def test_the_tenant_role_cannot_update_or_delete_issued_statements(database):
    world = await make_world(database)
    await load_month(world)
    run = await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    await reconcile(database, world.tenant_id, "2026-04", now=cn(1, 3, month=5))
    before = await _snapshot(world)
    assert before["kpi_adjustments"]
    for model in FROZEN:
        table = model.__tablename__
        for statement in (f"UPDATE {table} SET tenant_id = tenant_id", f"DELETE FROM {table}"):
            with pytest.raises(DBAPIError, match="permission denied"):
                async with database.writer(world.tenant_id) as session, session.begin():
                    await session.execute(text(statement))
    assert await _snapshot(world) == before
    async with database.reader(world.tenant_id) as session:
        assert await session.scalar(select(func.count()).select_from(KpiStatement)) == 2
    assert run.statement_id in {row[0] for row in before["kpi_statements"]}


async def test_an_order_leaving_or_joining_the_population_after_the_close_is_adjusted(database):
    world = await make_world(database)
    ids = await load_month(world)
    await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    before = await _snapshot(world)
    # c8 is cancelled after the close (it leaves); the consultation a13 turns out to have been a
    # complaint (it joins, with the outcomes its clocks give: all timely).
    async with database.writer(world.tenant_id) as session, session.begin():
        await session.execute(
            update(WorkOrder).where(WorkOrder.id == ids["c8"]).values(state="cancelled")
        )
        await session.execute(
            update(WorkOrder)
            .where(WorkOrder.id == ids["a13-consultation"])
            .values(order_type="sales_complaint")
        )
    rerun = await reconcile(database, world.tenant_id, MONTH, now=AS_OF + timedelta(hours=1))
    assert (rerun.issued, rerun.adjustments) == (False, 6)
    after = await _snapshot(world)
    for table in ("kpi_statements", "kpi_statement_lines", "kpi_order_outcomes"):
        assert after[table] == before[table]
    async with database.reader(world.tenant_id) as session:
        adjustments = (await session.scalars(select(KpiAdjustment))).all()
    got = {
        (a.work_order_id, a.kpi): (a.from_outcome, a.to_outcome, a.cause, a.org_unit_id, a.period)
        for a in adjustments
    }
    left = ("timely", "excluded", "rerun", world.units[DEALERS["c"]], "2026-04")
    joined = ("excluded", "timely", "rerun", world.units[DEALERS["a"]], "2026-04")
    assert got == {
        **{(ids["c8"], kpi): left for kpi in KPIS},
        **{(ids["a13-consultation"], kpi): joined for kpi in KPIS},
    }
    # Nothing changed since: nothing written, the joined order included.
    again = await reconcile(database, world.tenant_id, MONTH, now=AS_OF + timedelta(hours=2))
    assert again.adjustments == 0
    assert await _snapshot(world) == after

    april = await reconcile(database, world.tenant_id, "2026-04", now=cn(1, 3, month=5))
    lines = await _lines(world, april.statement_id)
    # a13 counts +1 timely for dealer a, c8 -1 for dealer c; dealer a also settles a10 (closure,
    # not timely) and a12 (first-time resolution, timely) as April does without these changes.
    expected = {
        "a": {"timely_response": (1, 0), "timely_closure": (1, 1), "first_time_resolution": (2, 0)},
        "c": dict.fromkeys(KPIS, (-1, 0)),
    }
    for dealer, kpis in expected.items():
        for kpi, counts in kpis.items():
            line = lines[(world.path(DEALERS[dealer]), kpi)]
            assert (line.adjusted_timely, line.adjusted_not_timely) == counts, (dealer, kpi)
