"""The periodic ticks. APScheduler only decides when; each tick is claimed in the database first,
so two schedulers started by mistake send it once. Work itself is done by the actors."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from server import settings
from server.db.session import Database
from server.services.ticks import claim
from workers.actors import (
    assess_due,
    cadence_due,
    flush_outbox,
    purge_outbox,
    reconcile_due,
    remind_tracking,
    scan_deadlines,
)

log = logging.getLogger("complaintdesk.scheduler")

# name: (cron fields, actors). Cron in UTC: "every minute" needs no timezone, and later daily or
# monthly ticks run per tenant timezone inside their actor, not here. The daily purge runs at
# 03:07 in China, out of office hours for every tenant there.
TICKS = {
    "every-minute": ({"minute": "*"}, (scan_deadlines, flush_outbox)),
    "daily": ({"hour": "19", "minute": "7"}, (purge_outbox,)),
    # Each tenant's month closes, and its quarter is assessed, at its profile's day and hour in
    # its own timezone: an hourly tick starts whichever are due (reconciliation.due,
    # quarterly.due), at most an hour late. Cadence reports likewise (cadence.due): each at its
    # profile's day and hour. Tracking reminders come daily or weekly (tracking.yaml): an hour
    # late at most is on time for them too.
    "hourly": ({"minute": "11"}, (reconcile_due, assess_due, cadence_due, remind_tracking)),
}


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
        except (
            Exception
        ):  # the broker is down: the next tick catches up, the outbox keeps everything
            log.exception(
                "tick %s at %s: could not send %s", name, at.isoformat(), actor.actor_name
            )


def build(blocking: bool) -> BackgroundScheduler | BlockingScheduler:
    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(
        timezone="UTC",
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30},
    )
    for name, (fields, _actors) in TICKS.items():
        scheduler.add_job(tick, CronTrigger(timezone="UTC", **fields), args=[name], id=name)
    return scheduler
