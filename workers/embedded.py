"""The embedded default: a Dramatiq worker and the scheduler inside the server process, on the
stub broker, so `make run` needs neither Redis nor a second process."""

from __future__ import annotations

from collections.abc import Callable

import dramatiq

from workers.broker import broker
from workers.scheduler import build


def start() -> Callable[[], None]:
    """Starts both; returns what stops them."""
    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    scheduler = build(blocking=False)
    scheduler.start()

    def stop() -> None:
        scheduler.shutdown(wait=False)
        worker.stop()

    return stop
