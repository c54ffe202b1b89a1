"""What an operator's tools read: /readyz (the database and Redis answer), /metrics (Prometheus
text: the counters of server/adapters/metrics.py, and what is read when scraped: database pool
use, outbox backlog and its oldest message's age, queue depth), and the HTTP status counter.

Neither endpoint needs a token: they say nothing of any tenant. Expose them to the monitoring
network only (docs/operations.md)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.adapters import metrics, telemetry
from server.db.session import Database
from server.services import outbox
from server.settings import Settings

QUEUES = ("deadlines", "notifications", "reconciliation")  # the actors' queues (workers/actors.py)
CHECK_SECONDS = 2.0


def json_logs(settings: Settings) -> None:
    """The process's logs as JSON lines on stderr, the deployment's secrets redacted wherever
    they would appear (server/adapters/telemetry.py)."""
    telemetry.configure(settings.secrets)


class CountResponses:
    """Counts every HTTP response by status (the 401s, 413s and 429s the GraphQL layer never
    sees included)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def counted(message: Message) -> None:
            if message["type"] == "http.response.start":
                metrics.HTTP.labels(str(message["status"])).inc()
            await send(message)

        await self.app(scope, receive, counted)


class Probes:
    """/readyz and /metrics of one app, on its database and Redis."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database, self.settings = database, settings
        self._redis: aioredis.Redis | None = None

    def redis(self) -> aioredis.Redis | None:
        if self.settings.redis_url and self._redis is None:
            self._redis = aioredis.Redis.from_url(
                self.settings.redis_url, socket_connect_timeout=1, socket_timeout=1
            )
        return self._redis

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()
            self._redis = None

    async def readyz(self, _request: Request) -> JSONResponse:
        """200 when the database and (when used) Redis answer within 2 s, else 503 naming what
        did not; a load balancer stops sending requests to a process that is not ready."""
        checks = {"database": await self._check(self._database), "redis": "not used"}
        if self.redis() is not None:
            checks["redis"] = await self._check(self._ping)
        ready = all(v in ("ok", "not used") for v in checks.values())
        return JSONResponse(
            {"status": "ready" if ready else "unready", **checks}, 200 if ready else 503
        )

    async def _check(self, probe: Any) -> str:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                await probe()
        except Exception as exc:  # whatever stops it, the answer is "not ready" and why
            return f"failing: {type(exc).__name__}"
        return "ok"

    async def _database(self) -> None:
        async with self.database.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _ping(self) -> None:
        client = self.redis()
        assert client is not None
        await client.ping()

    async def metrics(self, _request: Request) -> Response:
        gathered = await self._gathered()
        body = generate_latest(REGISTRY) + generate_latest(_Fixed(gathered))
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    async def _gathered(self) -> list[GaugeMetricFamily]:
        families = [_pool(self.database)]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                owed, age = await outbox.backlog(self.database, datetime.now(UTC))
        except Exception:  # the database is down: /readyz says so; the metrics say what they can
            owed, age = -1, -1.0
        families.append(_gauge("complaintdesk_outbox_backlog", "Notifications owed.", owed))
        families.append(
            _gauge(
                "complaintdesk_outbox_oldest_undelivered_age_seconds",
                "Age of the oldest notification owed (0: none).",
                age,
            )
        )
        families.append(await self._queues())
        families.append(
            _gauge(
                "complaintdesk_metrics_gather_seconds",
                "Time the scrape's database and Redis reads took.",
                time.perf_counter() - started,
            )
        )
        return families

    async def _queues(self) -> GaugeMetricFamily:
        family = GaugeMetricFamily(
            "complaintdesk_queue_depth", "Messages waiting in a worker queue.", labels=["queue"]
        )
        client = self.redis()
        if client is None:
            return family  # the embedded worker's queues live in the server's process
        prefix = self.settings.queue_namespace
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                for queue in QUEUES:
                    depth = await client.llen(f"{prefix}:{queue}")  # type: ignore[misc]
                    family.add_metric([queue], float(depth))
        except Exception:  # Redis is down: /readyz says so
            family.add_metric(["unknown"], -1.0)
        return family


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _pool(database: Database) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "complaintdesk_db_pool_connections",
        "Database pool connections by state (in use, idle in the pool, over the pool's size).",
        labels=["state"],
    )
    pool: Any = database.engine.pool
    if hasattr(pool, "checkedout"):
        family.add_metric(["in_use"], pool.checkedout())
        family.add_metric(["idle"], pool.checkedin())
        family.add_metric(["overflow"], max(pool.overflow(), 0))
        family.add_metric(["size"], pool.size())
    return family


class _Fixed:
    """A collector answering what was gathered for this scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> list[GaugeMetricFamily]:
        return self.families
