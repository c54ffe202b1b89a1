"""Live order events for subscribers: what changed on which order, published once its transaction
has committed.

Delivery is best effort (at most once): a subscriber that misses an event, because it was not yet
connected or Redis was away, refetches what it shows. The history table stays the record.

One bus per deployment in a process, made by the entry point (bus_for) and held by its Database,
whose sessions publish what they commit on it. Without Redis the bus fans out in-process (the
embedded default: the server hands its bus to the worker in its process). With Redis every process
publishes to one channel per tenant, under the deployment's namespace (EVENTS_NAMESPACE), and runs
a single listener that fans out to its own subscribers, so a client connected to any server process
sees the events made on any other, and none of another deployment's.
"""

from __future__ import annotations

import asyncio
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("complaintdesk.events")
NAMESPACE = "complaintdesk"  # Settings.events_namespace: one per deployment sharing a Redis
BACKLOG = 1000  # events a slow subscriber may fall behind by before the oldest are dropped


@dataclass(frozen=True)
class OrderEvent:
    """One history event of one order, with what a subscriber needs to decide whether it may see
    it."""

    tenant_id: int
    event_id: int
    order_id: int
    number: str
    org_path: str
    state: str
    version: int
    kind: str
    at: datetime
    from_state: str | None
    to_state: str | None

    def to_json(self) -> str:
        return json.dumps(asdict(self) | {"at": self.at.isoformat()})

    @classmethod
    def from_json(cls, raw: str | bytes) -> OrderEvent:
        data: dict[str, Any] = json.loads(raw)
        return cls(**(data | {"at": datetime.fromisoformat(data["at"])}))


class _Subscriber:
    """A queue on the subscriber's own event loop; publishers on other loops (the embedded worker's)
    hand events over thread-safely."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue[OrderEvent] = asyncio.Queue(BACKLOG)

    def offer(self, event: OrderEvent) -> None:
        if self.loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            self._put(event)
        else:
            self.loop.call_soon_threadsafe(self._put, event)

    def _put(self, event: OrderEvent) -> None:
        if self.queue.full():
            # a subscriber this far behind refetches anyway; keep the newest
            self.queue.get_nowait()
        self.queue.put_nowait(event)


class _Publisher(ABC):
    """What a committing session calls: publishing without making the request wait for it or fail
    with it."""

    def __init__(self) -> None:
        self._sending: set[asyncio.Task[None]] = set()

    @abstractmethod
    async def publish(self, events: Iterable[OrderEvent]) -> None: ...

    def publish_soon(self, events: list[OrderEvent]) -> None:
        if not events:
            return
        # Sessions are async only: a commit always runs on an event loop.
        task = asyncio.get_running_loop().create_task(self._publish(events))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _publish(self, events: list[OrderEvent]) -> None:
        try:
            await self.publish(events)
        except (RedisError, OSError) as exc:
            log.warning(
                "live events: %d not published (%s); subscribers refetch on reconnect",
                len(events),
                exc,
            )


class LocalBus(_Publisher):
    """Fan-out to the subscribers of this process."""

    def __init__(self) -> None:
        super().__init__()
        self._subscribers: set[_Subscriber] = set()

    async def publish(self, events: Iterable[OrderEvent]) -> None:
        self.deliver(events)

    def deliver(self, events: Iterable[OrderEvent]) -> None:
        for event in events:
            for subscriber in list(self._subscribers):
                if subscriber.tenant_id == event.tenant_id:
                    subscriber.offer(event)

    @asynccontextmanager
    async def subscription(self, tenant_id: int) -> AsyncIterator[asyncio.Queue[OrderEvent]]:
        """The queue of one tenant's events, registered before this returns: nothing published after
        entering is missed."""
        subscriber = _Subscriber(tenant_id)
        self._subscribers.add(subscriber)
        try:
            yield subscriber.queue
        finally:
            self._subscribers.discard(subscriber)

    async def close(self) -> None:
        self._subscribers.clear()


class RedisBus(_Publisher):
    """Publishes to Redis; one pattern subscription per process feeds the local fan-out."""

    def __init__(self, url: str, namespace: str = NAMESPACE):
        super().__init__()
        self.url = url
        self.channel = f"{namespace}:events:"  # then the tenant's id
        self._local = LocalBus()
        self._clients: dict[
            asyncio.AbstractEventLoop, aioredis.Redis
        ] = {}  # connections never cross loops
        self._listener: asyncio.Task[None] | None = None
        self._listening = asyncio.Event()

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=2, socket_timeout=5
            )
        return self._clients[loop]

    async def publish(self, events: Iterable[OrderEvent]) -> None:
        client = self._client()
        async with client.pipeline(transaction=False) as pipe:
            for event in events:
                pipe.publish(f"{self.channel}{event.tenant_id}", event.to_json())
            await pipe.execute()

    @asynccontextmanager
    async def subscription(self, tenant_id: int) -> AsyncIterator[asyncio.Queue[OrderEvent]]:
        async with self._local.subscription(tenant_id) as queue:
            if self._listener is None or self._listener.done():
                self._listening = asyncio.Event()
                self._listener = asyncio.create_task(self._listen(), name="complaintdesk-events")
            await self._listening.wait()
            yield queue

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            try:
                async with self._client().pubsub() as pubsub:
                    await pubsub.psubscribe(f"{self.channel}*")
                    await pubsub.get_message(timeout=5)  # the psubscribe confirmation
                    self._listening.set()
                    delay = 0.5
                    async for message in pubsub.listen():
                        if message["type"] == "pmessage":
                            self._local.deliver([OrderEvent.from_json(message["data"])])
            except (RedisError, OSError) as exc:
                log.warning("live events: Redis listener lost (%s); retrying in %.1f s", exc, delay)
                self._listening.set()  # subscribers go on waiting for events, not for Redis
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            await asyncio.gather(self._listener, return_exceptions=True)
            self._listener = None
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()
        await self._local.close()


Bus = LocalBus | RedisBus


def bus_for(redis_url: str | None, namespace: str = NAMESPACE) -> Bus:
    """A deployment's bus: on Redis when a URL is given, on its own namespace's channels. Made once
    per process by the entry point (the app, the worker) and handed to its Database, whose
    committed events it carries."""
    return RedisBus(redis_url, namespace) if redis_url else LocalBus()
