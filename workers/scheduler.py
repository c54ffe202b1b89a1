"""The periodic ticks. APScheduler only decides when; each tick is claimed in the database first,
so two schedulers started by mistake send it once. Work itself is done by the actors."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import delete
from sqlalchemy.dialects import postgresql, sqlite

from server import settings
from server.db.models import SchedulerTick
from server.db.session import Database
from workers.actors import flush_outbox, scan_deadlines

log = logging.getLogger("complaintdesk.scheduler")

# name: (cron fields, actors). Cron in UTC: "every minute" needs no timezone, and later daily or
# monthly ticks run per tenant timezone inside their actor, not here.
TICKS = {"every-minute": ({"minute": "*"}, (scan_deadlines, flush_outbox))}


async def claim(database: Database, name: str, at: datetime) -> bool:
    """True for the one scheduler that records this tick first."""
    async with database.platform() as session, session.begin():
        insert = postgresql.insert if database.dialect == "postgresql" else sqlite.insert
        done = await session.execute(
            insert(SchedulerTick).values(name=name, tick_at=at).on_conflict_do_nothing().returning(SchedulerTick.name)
        )
        claimed = bool(done.all())
        await session.execute(delete(SchedulerTick).where(SchedulerTick.tick_at < at - timedelta(days=1)))
        return claimed


async def _claim_once(url: str, name: str, at: datetime) -> bool:
    database = Database(url)
    try:
        return await claim(database, name, at)
    finally:
        await database.dispose()


def tick(name: str) -> None:
    at = datetime.now(UTC).replace(second=0, microsecond=0)
    if not asyncio.run(_claim_once(settings.load().database_url, name, at)):
        return
    for actor in TICKS[name][1]:
        try:
            actor.send()
        except Exception:  # the broker is down: the next tick catches up, the outbox keeps everything
            log.exception("tick %s at %s: could not send %s", name, at.isoformat(), actor.actor_name)


def build(blocking: bool) -> BackgroundScheduler | BlockingScheduler:
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    )
    for name, (fields, _actors) in TICKS.items():
        scheduler.add_job(tick, CronTrigger(timezone="UTC", **fields), args=[name], id=name)
    return scheduler
