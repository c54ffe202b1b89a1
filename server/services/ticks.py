"""Scheduler ticks: each is claimed in the database first, so two schedulers started by mistake
send it once."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from server.db import upsert
from server.db.models import SchedulerTick
from server.db.session import Database


async def claim(database: Database, name: str, at: datetime) -> bool:
    """True for the one scheduler that records this tick first."""
    async with database.platform() as session, session.begin():
        claimed = await session.execute(
            upsert.insert(session, SchedulerTick)
            .values(name=name, tick_at=at)
            .on_conflict_do_nothing()
            .returning(SchedulerTick.name)
        )
        first = bool(claimed.all())
        await session.execute(
            delete(SchedulerTick).where(SchedulerTick.tick_at < at - timedelta(days=1))
        )
        return first
