"""Per-process resources of the actors, created lazily on the AsyncIO middleware's event loop
(a pooled async engine must not cross event loops, docs/architecture.md#event-loops)."""

from __future__ import annotations

from functools import cache

from server import settings
from server.adapters.events import Bus, bus_for
from server.adapters.notifications import Sender, sender_for
from server.db.session import Database

_serving: list[Bus] = []  # the server's bus when this worker runs inside its process


def share_events(bus: Bus) -> None:
    """Called by the embedded worker before its first job: what the deadline scan writes reaches the
    subscribers of the server it runs beside, on the server's own in-process bus."""
    _serving[:] = [bus]
    database.cache_clear()


@cache
def database() -> Database:
    # Unpooled: the embedded worker shares its process with the server, and a pooled connection
    # must never cross event loops (docs/architecture.md#event-loops).
    config = settings.load()
    # With Redis, what the deadline scan writes reaches the subscribers of every server process.
    bus = _serving[0] if _serving else bus_for(config.redis_url, config.events_namespace)
    return Database(config.database_url, pooled=False, events=bus)


@cache
def sender() -> Sender:
    return sender_for(settings.load().notify)
