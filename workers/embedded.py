"""The embedded default: a Dramatiq worker and the scheduler inside the server process, on the
stub broker, so `make run` needs neither Redis nor a second process."""

from __future__ import annotations

from collections.abc import Callable

import dramatiq

from server.adapters.events import Bus
from workers import resources
from workers.broker import broker
from workers.scheduler import build


def start(events: Bus) -> Callable[[], None]:
    """Starts both, publishing order events on the server's bus `events`; returns what stops
    them."""
    resources.share_events(events)
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    scheduler = build(blocking=False)
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)
        worker.stop()

    return stop
