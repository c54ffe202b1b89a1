"""Who starts a reconciliation: the scheduler's hourly tick once a tenant's month is over at its
profile's day and hour (in the tenant's timezone), the worker's actor (a duplicate message issues
one statement), a tenant admin through GraphQL (nobody else), and the command line. The quarterly
assessment likewise: due at the profile's day and hour after the quarter, once its months are
reconciled; once issued however often or concurrently it is started."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import dramatiq
import pytest
from kpi_month import AS_OF, MONTH, cn, load_month
from kpi_quarter import QUARTER, import_deliveries, quarter_world
from sqlalchemy import func, select
from support import make_world

from complaintdesk import cli
from server.db.models import KpiRankingLine, KpiStatement
from server.domain.errors import InvalidInputError
from server.services import quarterly, reconciliation
from workers import resources
from workers.actors import assess_due, assess_quarter, reconcile_due, reconcile_month
from workers.broker import broker
from workers.scheduler import TICKS


async def _statements(world) -> list[str]:
    async with world.database.reader(world.tenant_id) as session:
        return list((await session.scalars(select(KpiStatement.period))).all())


async def test_a_month_is_due_at_the_profiles_day_and_hour_in_the_tenants_timezone(database):
    world = await make_world(database)
    await load_month(world)
    # 02:00 on April 1st in China is 18:00 UTC on March 31st.
    before = await reconciliation.due(database, cn(1, 1, 59, month=4))
    at = await reconciliation.due(database, AS_OF)
    assert (world.tenant_id, MONTH) not in before
    assert (world.tenant_id, MONTH) in at
    await reconciliation.reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    assert (world.tenant_id, MONTH) not in await reconciliation.due(database, AS_OF)
    assert reconcile_due in TICKS["hourly"][1]


async def test_a_month_before_the_tenant_existed_is_never_due(database):
    world = await make_world(database)  # created now: last month ended before it existed
    assert world.tenant_id not in {t for t, _ in await reconciliation.due(database, AS_OF)}


@pytest.fixture
def worker(database, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", database.url)
    resources.database.cache_clear()
    running = dramatiq.Worker(broker, worker_threads=2)
    running.start()
    yield
    running.stop()
    resources.database.cache_clear()


async def test_a_message_delivered_twice_issues_one_statement(database, worker):
    world = await make_world(database)
    await load_month(world)
    reconcile_month.send(world.tenant_id, MONTH)
    reconcile_month.send(world.tenant_id, MONTH)
    await asyncio.to_thread(broker.join, reconcile_month.queue_name, fail_fast=True)
    assert await _statements(world) == [MONTH]


async def test_a_tenant_admin_runs_it_through_graphql_and_nobody_else_may(database):
    world = await make_world(database)
    await load_month(world)
    world.clock.now = AS_OF
    data = await world.gql("se", "RunReconciliation", input={"month": MONTH})
    assert data["runReconciliation"] == {
        "__typename": "NotPermitted",
        "permission": "kpi.reconcile",
        "message": "you do not hold the permission 'kpi.reconcile' here",
    }
    assert await _statements(world) == []
    run = (await world.gql("admin", "RunReconciliation", input={"month": MONTH}))[
        "runReconciliation"
    ]
    assert (run["__typename"], run["month"], run["issued"], run["adjustments"]) == (
        "ReconciliationRun",
        MONTH,
        True,
        0,
    )
    world.clock.now = AS_OF + timedelta(hours=1)
    again = (await world.gql("admin", "RunReconciliation", input={"month": MONTH}))[
        "runReconciliation"
    ]
    assert (again["statementId"], again["issued"]) == (run["statementId"], False)
    assert await _statements(world) == [MONTH]


async def test_a_month_not_over_is_a_validation_error_naming_the_month(database):
    world = await make_world(database)
    await load_month(world)
    world.clock.now = AS_OF
    data = await world.gql("admin", "RunReconciliation", input={"month": "2026-04"})
    result = data["runReconciliation"]
    assert result["__typename"] == "ValidationError"
    assert [field["path"] for field in result["fields"]] == [["month"]]
    assert await _statements(world) == []


async def test_the_command_line_reconciles_a_month_with_a_progress_bar(
    database, monkeypatch, capsys
):
    world = await make_world(database)
    await load_month(world)
    monkeypatch.setenv("DATABASE_URL", database.url)
    capsys.readouterr()
    argv = ["reconcile", "--tenant", world.slug, "--month", MONTH]
    assert await asyncio.to_thread(cli.main, argv) == 0
    printed = capsys.readouterr()
    assert (
        printed.out.strip()
        == f"{MONTH}: statement issued; 0 pending orders of earlier months settled"
    )
    assert "[##############################] lines" in printed.err
    assert await _statements(world) == [MONTH]
    assert await asyncio.to_thread(cli.main, [*argv[:-1], "2026-13"]) == 2
    assert "is not a month written YYYY-MM" in capsys.readouterr().err
    async with database.reader(world.tenant_id) as session:
        assert await session.scalar(select(func.count()).select_from(KpiStatement)) == 1


async def _quarterly(world) -> list[str]:
    async with world.database.reader(world.tenant_id) as session:
        query = select(KpiStatement.period).where(KpiStatement.kind == "quarterly")
        return list((await session.scalars(query)).all())


async def test_a_quarter_is_assessed_at_the_profiles_day_and_hour_once_however_often(database):
    world, _ = await quarter_world(database)
    due = (world.tenant_id, QUARTER)
    # Skoda: 03:00 on the 11th of the month after the quarter, China time (19:00 UTC the 10th).
    assert due not in await quarterly.due(database, cn(11, 2, 59, month=4))
    at = cn(11, 3, month=4)
    assert due in await quarterly.due(database, at)
    assert assess_due in TICKS["hourly"][1]
    # Deliveries not imported: refused naming the dealers, nothing written, still due.
    with pytest.raises(InvalidInputError) as refused:
        await quarterly.assess(database, world.tenant_id, QUARTER, now=at)
    [problem] = refused.value.problems
    assert problem.path == ("quarter",)
    assert "no deliveries imported for 2026-Q1 for the dealers d1" in problem.message
    assert await _quarterly(world) == []
    assert due in await quarterly.due(database, at)
    await import_deliveries(world)
    # A double tick: two runs at once issue one statement.
    first, second = await asyncio.gather(
        quarterly.assess(database, world.tenant_id, QUARTER, now=at),
        quarterly.assess(database, world.tenant_id, QUARTER, now=at),
    )
    assert sorted([first, second]) == [False, True]
    assert await _quarterly(world) == [QUARTER]
    async with database.reader(world.tenant_id) as session:
        lines = await session.scalar(select(func.count()).select_from(KpiRankingLine))
        issued_by = await session.scalar(
            select(KpiStatement.issued_by_id).where(KpiStatement.kind == "quarterly")
        )
    assert (lines, issued_by) == (9, None)
    assert due not in await quarterly.due(database, at + timedelta(days=30))


async def test_a_quarter_with_a_month_not_reconciled_is_not_due(database):
    world = await make_world(database)
    await load_month(world)
    await reconciliation.reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    # March is issued; January and February are not (the tenant is made to exist since 2025).
    assert (world.tenant_id, QUARTER) not in await quarterly.due(database, cn(20, month=4))


async def test_an_assessment_message_delivered_twice_issues_one_statement(database, worker):
    world, _ = await quarter_world(database)
    await import_deliveries(world)
    assess_quarter.send(world.tenant_id, QUARTER)
    assess_quarter.send(world.tenant_id, QUARTER)
    await asyncio.to_thread(broker.join, assess_quarter.queue_name, fail_fast=True)
    assert await _quarterly(world) == [QUARTER]
