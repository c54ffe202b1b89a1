"""Abuse limits: how much GraphQL cost a token and an IP address may spend per window, counted in
Redis when the deployment has it (so every server process shares the count) and in the process
otherwise. Fixed windows: one counter per key and window, which Redis expires by itself.

A Redis that cannot be reached does not stop the service: the count falls back to the process's
own until Redis answers again (each process then holds the limit on its own)."""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from server.settings import RateLimits

log = logging.getLogger("complaintdesk.rate_limits")
RETRY_SECONDS = 5.0  # how long an unreachable Redis is left alone before it is tried again

# INCRBY, the expiry set by the first charge of the window, and the time left, in one round trip.
_CHARGE = """
local used = redis.call('INCRBY', KEYS[1], ARGV[1])
if used == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return {used, redis.call('PTTL', KEYS[1])}
"""


class Store(Protocol):
    async def charge(self, key: str, cost: int, window_ms: int) -> tuple[int, int]:
        """Adds `cost` to the key's count in the current window: (count now, ms left in it)."""
        ...

    async def close(self) -> None: ...


class MemoryStore:
    """The embedded default: counts in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.windows: dict[str, tuple[float, int]] = {}  # key: (window's end, count)

    async def charge(self, key: str, cost: int, window_ms: int) -> tuple[int, int]:
        now = self.clock()
        end, used = self.windows.get(key, (0.0, 0))
        if end <= now:
            if len(self.windows) > 100_000:  # forget ended windows before they pile up
                self.windows = {k: v for k, v in self.windows.items() if v[0] > now}
            end, used = now + window_ms / 1000, 0
        used += cost
        self.windows[key] = (end, used)
        return used, math.ceil((end - now) * 1000)

    async def close(self) -> None:
        return None


class RedisStore:
    """Counts shared by every process on the Redis of REDIS_URL, under the deployment's prefix."""

    def __init__(self, url: str, prefix: str, fallback: Store) -> None:
        self.url, self.prefix, self.fallback = url, prefix, fallback
        self._clients: dict[asyncio.AbstractEventLoop, aioredis.Redis] = {}
        # After a failure Redis is left alone for a while: each request would otherwise wait for
        # the connection timeout, and the log would get a line per request.
        self._down_until: float | None = None

    def _client(self) -> aioredis.Redis:
        loop = asyncio.get_running_loop()
        if loop not in self._clients:
            self._clients[loop] = aioredis.Redis.from_url(
                self.url, socket_connect_timeout=1, socket_timeout=1
            )
        return self._clients[loop]

    async def charge(self, key: str, cost: int, window_ms: int) -> tuple[int, int]:
        if self._down_until is not None and time.monotonic() < self._down_until:
            return await self.fallback.charge(key, cost, window_ms)
        try:
            used, left = await self._client().eval(
                _CHARGE, 1, f"{self.prefix}:rate:{key}", cost, window_ms
            )
        except (RedisError, OSError) as exc:
            if self._down_until is None:
                log.warning("rate limits: Redis unreachable (%s); counting in this process", exc)
            self._down_until = time.monotonic() + RETRY_SECONDS
            return await self.fallback.charge(key, cost, window_ms)
        if self._down_until is not None:
            log.info("rate limits: Redis answers again; counting there")
            self._down_until = None
        return int(used), max(int(left), 0)

    async def close(self) -> None:
        """Closes this loop's connection (each loop's client is closed on its own loop)."""
        client = self._clients.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.aclose()


@dataclass(frozen=True)
class Refusal:
    scope: str  # "token" or "ip"
    retry_after: int  # whole seconds


class RateLimiter:
    def __init__(self, limits: RateLimits, store: Store) -> None:
        self.limits, self.store = limits, store

    async def charge(self, keys: Sequence[tuple[str, str]], cost: int) -> Refusal | None:
        """Charges `cost` to each (scope, id) key, e.g. ("token", digest), ("ip", address); the
        first whose window is spent refuses, saying when it ends."""
        window_ms = self.limits.window_seconds * 1000
        for scope, ident in keys:
            limit = self.limits.per_token if scope == "token" else self.limits.per_ip
            used, left = await self.store.charge(f"{scope}:{ident}", cost, window_ms)
            if used > limit:
                return Refusal(scope, max(1, math.ceil(left / 1000)))
        return None

    async def close(self) -> None:
        await self.store.close()


def limiter_for(limits: RateLimits, redis_url: str | None, prefix: str) -> RateLimiter:
    store: Store = MemoryStore()
    if redis_url:
        store = RedisStore(redis_url, prefix, fallback=store)
    return RateLimiter(limits, store)
