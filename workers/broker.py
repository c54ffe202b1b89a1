"""The one place the broker is configured; actors import this module first (dramatiq #214, #543).

REDIS_URL set: Redis, shared by every server and worker process. Unset: the stub broker, with the
worker running inside the server process (the embedded default of `complaintdesk run`). Built when
imported, from the settings: Dramatiq binds each actor to the broker in force when it is declared.
"""

from __future__ import annotations

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware.asyncio import AsyncIO
from dramatiq.middleware.prometheus import Prometheus

from server import settings
from server.adapters import telemetry


class JsonLogs(dramatiq.Middleware):
    """Each worker process logs as the servers do: JSON lines, personal data and the deployment's
    secrets redacted (docs/operations.md). Only processes that `dramatiq` boots: the embedded
    worker logs through its server."""

    def __init__(self, config: settings.Settings) -> None:
        self.secrets = config.secrets

    def after_process_boot(self, broker: dramatiq.Broker) -> None:
        telemetry.configure(self.secrets)


def _broker(config: settings.Settings) -> dramatiq.Broker:
    if config.redis_url:
        # A message held by a worker that died is handed to another after 15 s, not the default
        # minute.
        redis = RedisBroker(
            url=config.redis_url, namespace=config.queue_namespace, heartbeat_timeout=15_000
        )
        # Worker processes' metrics (messages, retries, durations, and the scan's own) served by
        # Dramatiq's exposition server, on dramatiq_prom_host:dramatiq_prom_port (9191).
        redis.add_middleware(Prometheus())
        redis.add_middleware(JsonLogs(config))
        return redis
    return StubBroker()


broker = _broker(settings.load())
broker.add_middleware(AsyncIO())
dramatiq.set_broker(broker)
