"""The optional revisit KPIs of the Skoda profile (kpis.yaml): revisit success and satisfaction,
from each population order's latest revisit not cancelled, counted in SQL into the statement's
lines (shown, not scored), and settled in a later month like the other KPIs."""

from __future__ import annotations

from kpi_month import AS_OF, MONTH, cn, load_month
from sqlalchemy import select, update
from support import DEALERS, make_world

from schema.ids import encode
from server.db.models import KpiAdjustment, KpiOrderOutcome, Revisit
from server.services.reconciliation import reconcile

REVISIT_KPIS = ("revisit_success", "satisfaction")
# order: [(state, result, successful)], oldest first; the latest one counts.
REVISITS = {
    "a1": [("completed", "satisfied", True)],
    "a2": [("completed", "dissatisfied", True)],
    "a3": [("unsuccessful", "unreachable", False)],
    "a4": [("cancelled", None, None), ("open", None, None)],
    "a11-escalated-to-region": [
        ("completed", "dissatisfied", True),  # reopened, handled again, revisited again
        ("completed", "basically_satisfied", True),
    ],
    "c1": [("completed", "satisfied", True)],
    "b1": [("cancelled", None, None)],  # no revisit left: not counted
    "a14-cancelled": [("completed", "satisfied", True)],  # not in the population
}


async def _revisits(world, ids) -> None:
    async with world.database.writer(world.tenant_id) as session, session.begin():
        for key, revisits in REVISITS.items():
            dealer = key[0]
            for version, (state, result, successful) in enumerate(revisits, start=1):
                finished = state in ("completed", "unsuccessful")
                session.add(
                    Revisit(
                        work_order_id=ids[key],
                        org_unit_id=world.units[DEALERS[dealer]],
                        org_path=world.path(DEALERS[dealer]),
                        trigger="resolve",
                        order_version=version,
                        state=state,
                        created_at=cn(20),
                        due_at=cn(21),
                        finished_at=cn(20, 15) if finished else None,
                        result=result,
                        successful=successful,
                    )
                )
                await session.flush()


async def test_revisit_success_and_satisfaction_are_counted_shown_and_settled(database):
    world = await make_world(database)
    ids = await load_month(world)
    await _revisits(world, ids)
    run = await reconcile(database, world.tenant_id, MONTH, now=AS_OF)
    async with database.reader(world.tenant_id) as session:
        rows = (
            await session.scalars(
                select(KpiOrderOutcome).where(KpiOrderOutcome.kpi.in_(REVISIT_KPIS))
            )
        ).all()
    got = {(r.work_order_id, r.kpi): (r.outcome, r.due_at, r.at) for r in rows}
    done, due = cn(20, 15), cn(21)
    assert got == {
        (ids["a1"], "revisit_success"): ("timely", due, done),
        (ids["a1"], "satisfaction"): ("timely", due, done),
        (ids["a2"], "revisit_success"): ("timely", due, done),
        (ids["a2"], "satisfaction"): ("not_timely", due, done),
        (ids["a3"], "revisit_success"): ("not_timely", due, done),
        (ids["a4"], "revisit_success"): ("pending", due, None),
        (ids["a4"], "satisfaction"): ("pending", due, None),
        (ids["a11-escalated-to-region"], "revisit_success"): ("timely", due, done),
        (ids["a11-escalated-to-region"], "satisfaction"): ("timely", due, done),
        (ids["c1"], "revisit_success"): ("timely", due, done),
        (ids["c1"], "satisfaction"): ("timely", due, done),
    }
    # Shown on the statement, summed up the tree like the scored KPIs.
    statement = await world.gql("se", "KpiStatement", id=encode("KpiStatement", run.statement_id))
    lines = {
        (line["orgPath"], line["kpi"]): (
            line["population"],
            line["timely"],
            line["notTimely"],
            line["pending"],
            line["rate"],
        )
        for line in statement["statement"]["lines"]
        if line["kpi"] in REVISIT_KPIS
    }
    a, c = world.path(DEALERS["a"]), world.path(DEALERS["c"])
    east, brand = world.path("/east"), world.path("")
    assert lines == {
        (a, "revisit_success"): (5, 3, 1, 1, "0.7500"),
        (a, "satisfaction"): (4, 2, 1, 1, "0.6667"),
        (c, "revisit_success"): (1, 1, 0, 0, "1.0000"),
        (c, "satisfaction"): (1, 1, 0, 0, "1.0000"),
        (east, "revisit_success"): (5, 3, 1, 1, "0.7500"),
        (east, "satisfaction"): (4, 2, 1, 1, "0.6667"),
        (world.path("/west"), "revisit_success"): (1, 1, 0, 0, "1.0000"),
        (world.path("/west"), "satisfaction"): (1, 1, 0, 0, "1.0000"),
        (brand, "revisit_success"): (6, 4, 1, 1, "0.8000"),
        (brand, "satisfaction"): (5, 3, 1, 1, "0.7500"),
    }

    # a4's open revisit is answered in April: April's statement settles it for both KPIs.
    async with database.writer(world.tenant_id) as session, session.begin():
        await session.execute(
            update(Revisit)
            .where(Revisit.work_order_id == ids["a4"], Revisit.state == "open")
            .values(
                state="completed", result="satisfied", successful=True, finished_at=cn(2, month=4)
            )
        )
    await reconcile(database, world.tenant_id, "2026-04", now=cn(1, 3, month=5))
    async with database.reader(world.tenant_id) as session:
        query = select(KpiAdjustment).where(KpiAdjustment.kpi.in_(REVISIT_KPIS))
        settled = (await session.scalars(query)).all()
    assert {(s.work_order_id, s.kpi, s.from_outcome, s.to_outcome, s.cause) for s in settled} == {
        (ids["a4"], kpi, "pending", "timely", "settled") for kpi in REVISIT_KPIS
    }
