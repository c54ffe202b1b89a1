"""The one place the broker is configured; actors import this module first (dramatiq #214, #543).

REDIS_URL set: Redis, shared by every server and worker process. Unset: the stub broker, with the
worker running inside the server process (the embedded default of `complaintdesk run`).
"""

from __future__ import annotations

import os

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO

REDIS_URL = os.environ.get("REDIS_URL") or None
NAMESPACE = os.environ.get("COMPLAINTDESK_QUEUE_NAMESPACE", "complaintdesk")


def _broker() -> dramatiq.Broker:
    if REDIS_URL:
        # A message held by a worker that died is handed to another after 15 s, not the default minute.
        return RedisBroker(url=REDIS_URL, namespace=NAMESPACE, heartbeat_timeout=15_000)
    return StubBroker()


broker = _broker()
broker.add_middleware(AsyncIO())
dramatiq.set_broker(broker)
