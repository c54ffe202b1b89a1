"""Per-process resources of the actors, created lazily on the AsyncIO middleware's event loop
(a pooled async engine must not cross event loops, STACK.md §4)."""

from __future__ import annotations

from functools import cache

from server import settings
from server.adapters import events
from server.db.session import Database
from server.adapters.notifications import Sender, sender_for


@cache
def database() -> Database:
    # Unpooled: the embedded worker shares its process with the server, and a pooled connection
    # must never cross event loops (STACK.md §4).
    config = settings.load()
    events.configure(config.redis_url)  # what the deadline scan writes reaches the subscribers of every server process
    return Database(config.database_url, pooled=False)


@cache
def sender() -> Sender:
    return sender_for(settings.load().notify)
