"""Cadence reports (cadence.yaml): a report due on the 2nd is produced once however often the
tick runs, and reaches each recipient once through the outbox; its readers list it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from support import make_world

from server.db.models import CadenceReport, OutboxMessage
from server.services import cadence

SHANGHAI = ZoneInfo("Asia/Shanghai")


def second_of_next_month(hour: int) -> datetime:
    today = datetime.now(SHANGHAI)
    following = (today.replace(day=28) + timedelta(days=4)).replace(day=2)
    return following.replace(hour=hour, minute=0, second=0, microsecond=0).astimezone(UTC)


async def ticks(world, now: datetime, times: int) -> list[bool]:
    """The hourly tick `times` over: what it finds due for the world's tenant, produced."""
    made = []
    for _ in range(times):
        for tenant_id, kind, period in await cadence.due(world.database, now):
            if tenant_id == world.tenant_id:
                made.append(await cadence.produce(world.database, tenant_id, kind, period, now=now))
    return made


async def test_a_report_due_on_the_2nd_is_produced_once_and_sent_to_each_recipient_once(database):
    world = await make_world(database)
    month = f"{second_of_next_month(9) - timedelta(days=3):%Y-%m}"
    assert await ticks(world, second_of_next_month(8), 1) == []  # 08:00: not yet
    now = second_of_next_month(10)
    assert await ticks(world, now, 2) == [True, True]  # both reports, on the first tick only
    assert not await cadence.produce(database, world.tenant_id, "monthly_handling", month, now=now)
    async with database.reader(world.tenant_id) as session:
        reports = (await session.execute(select(CadenceReport.kind, CadenceReport.period))).all()
        sent = (await session.execute(select(OutboxMessage.key, OutboxMessage.recipient_id))).all()
    assert sorted(reports) == [("css_analysis", month), ("monthly_handling", month)]
    monthly = sorted(r for k, r in sent if k.startswith(f"cadence:monthly_handling:{month}:"))
    assert monthly == sorted([world.users["se"], world.users["admin"]])
    css = sorted(r for k, r in sent if k.startswith(f"cadence:css_analysis:{month}:"))
    managers = [world.users[u] for u in ("manager_a", "manager_b", "manager_c")]
    assert css == sorted([world.users["se"], *managers])


async def test_readers_list_the_reports_sent_to_their_roles(database):
    world = await make_world(database)
    await ticks(world, second_of_next_month(10), 1)
    se = await world.caller("se")
    assert {r.kind for r in (await cadence.list_reports(se, None, 10, None)).reports} == {
        "css_analysis",
        "monthly_handling",
    }
    manager = await world.caller("manager_a")
    page = await cadence.list_reports(manager, None, 10, None)
    assert [r.kind for r in page.reports] == ["css_analysis"]
    care = await world.caller("care_a")
    assert (await cadence.list_reports(care, None, 10, None)).reports == []
    for caller in (se, manager, care):
        await caller.db.close()
