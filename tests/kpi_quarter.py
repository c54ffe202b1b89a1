"""A quarter of issued monthly statements (2026-Q1) for nine dealers with known timely counts, and
their deliveries: the quarterly assessment's tests."""

from __future__ import annotations

from datetime import UTC, datetime

from support import make_world

from server.db.models import KpiDelivery, KpiStatement, KpiStatementLine
from server.services import organisation

QUARTER = "2026-Q1"
KPIS = ("timely_response", "timely_closure", "first_time_resolution")
# Timely orders of 10 per KPI and month: with the same rate for every KPI, the score is 10 × it.
# East has eight dealers; b and d1 tie at 80.
TIMELY = {"dlr-a": 9, "dlr-b": 8, "d1": 8, "d2": 7, "d3": 6, "d4": 5, "d5": 3, "d6": 10, "dlr-c": 4}
DELIVERIES = {
    "dlr-a": 50,
    "dlr-b": 40,
    "d1": 41,
    "d2": 30,
    "d3": 30,
    "d4": 20,
    "d5": 10,
    "d6": 5,
    "dlr-c": 70,
}


async def quarter_world(database):
    world = await make_world(database)
    db = database.tenant(world.tenant_id)
    for code in ("d1", "d2", "d3", "d4", "d5", "d6"):
        unit = await organisation.add_org_unit(db, world.path("/east"), "dealer", code, code)
        world.units[f"/east/{code}"] = unit.id
    await db.close()
    codes = {
        path.rsplit("/", 1)[1]: unit for path, unit in world.units.items() if path.count("/") == 2
    }
    async with database.writer(world.tenant_id) as session, session.begin():
        for month in (1, 2, 3):
            start = datetime(2026, month, 1, tzinfo=UTC)
            statement = KpiStatement(
                period=f"2026-{month:02d}",
                kind="monthly",
                starts_at=start,
                ends_at=start,
                issued_at=start,
                profile_version="test",
            )
            session.add(statement)
            await session.flush()
            for code, timely in TIMELY.items():
                session.add_all(
                    KpiStatementLine(
                        statement_id=statement.id,
                        org_unit_id=codes[code],
                        level="dealer",
                        org_path=world.path(("/east/" if code != "dlr-c" else "/west/") + code),
                        kpi=kpi,
                        population=10,
                        timely=timely,
                        not_timely=10 - timely,
                        pending=0,
                        adjusted_timely=0,
                        adjusted_not_timely=0,
                    )
                    for kpi in KPIS
                )
    world.clock.now = datetime(2026, 4, 3, tzinfo=UTC)
    return world, {unit: code for code, unit in codes.items()}


async def import_deliveries(world) -> None:
    """DELIVERIES stored for QUARTER, as an import would."""
    async with world.database.writer(world.tenant_id) as session, session.begin():
        for code, count in DELIVERIES.items():
            unit = world.units[("/east/" if code != "dlr-c" else "/west/") + code]
            session.add(
                KpiDelivery(
                    quarter=QUARTER, org_unit_id=unit, deliveries=count, imported_at=world.clock.now
                )
            )
