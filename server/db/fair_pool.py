"""A connection pool that serves waiters in the order they came (docs/architecture.md#fair-pool).

SQLAlchemy's AsyncAdaptedQueuePool keeps its idle connections in an asyncio.Queue. A returned
connection is put in the queue and the oldest waiter is only woken; before it runs, any task that
checks out takes the connection without waiting, and the woken waiter finds the queue empty and
queues again at the back. Under load (32 requests at a time, 15 connections) some requests lost
that race again and again, for seconds: the list's p95 reached 6-9x its p50.

FairPool hands a returned connection straight to the oldest waiter, and lets a new arrival take an
idle connection or open one only when nobody is waiting. A connection handed over skips the
pre-ping: its reset on return has just answered. Everything else (pre-ping, reset on return,
invalidation, recycling, overflow, the timeout) is the stock pool's: a record handed over is
checked out the usual way, reconnecting first if it was invalidated.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from typing import Any, Literal

from sqlalchemy import exc
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_

# What a waiter is handed: a connection record, or None: a connection was closed for good, so
# there is room for one more and the waiter opens it.
_Handoff = ConnectionPoolEntry | None


class FairPool(AsyncAdaptedQueuePool):
    """AsyncAdaptedQueuePool with first-come, first-served checkout under contention."""

    def __init__(self, *args: Any, **kw: Any):
        super().__init__(*args, **kw)
        self._waiters: deque[asyncio.Future[_Handoff]] = deque()

    def _do_get(self) -> ConnectionPoolEntry:
        while self._waiters and self._waiters[0].done():
            self._waiters.popleft()  # gave up (timed out, cancelled) and not yet left the line
        if not self._waiters:  # nobody ahead: an idle connection, or a new one if there is room
            if self._pool.qsize():
                return self._pool.get(False)
            if self._inc_overflow():
                return self._open()
        return self._wait()

    def _do_return_conn(self, record: ConnectionPoolEntry) -> None:
        if not self._hand_over(record):
            super()._do_return_conn(record)  # into the idle queue (or closed, past pool_size)

    def _dec_overflow(self) -> Literal[True]:
        # A connection was closed for good (or failed to open): its place goes to the oldest
        # waiter, which would otherwise wait for a connection that is not coming back.
        if not self._hand_over(None):
            super()._dec_overflow()
        return True

    def _hand_over(self, handoff: _Handoff) -> bool:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that timed out or was cancelled is done already
                if handoff is not None:
                    # Its reset on return has just answered: the pre-ping's round trip would only
                    # say so again, on every checkout under load (docs/architecture.md#fair-pool).
                    handoff.fresh = True  # type: ignore[attr-defined]  # _ConnectionRecord
                waiter.set_result(handoff)
                return True
        return False

    def _open(self) -> ConnectionPoolEntry:
        """A new connection in a place already counted in the overflow."""
        try:
            return self._create_connection()
        except BaseException:
            self._dec_overflow()
            raise

    def _wait(self) -> ConnectionPoolEntry:
        waiter: asyncio.Future[_Handoff] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            handoff = await_(self._handed(waiter))
        except BaseException as error:
            self._leave(waiter)
            if isinstance(error, TimeoutError):
                raise exc.TimeoutError(
                    f"QueuePool limit of size {self.size()} overflow {self.overflow()} reached, "
                    f"connection timed out, timeout {self._timeout:.2f}",
                    code="3o7r",
                ) from None
            raise
        return self._open() if handoff is None else handoff

    async def _handed(self, waiter: asyncio.Future[_Handoff]) -> _Handoff:
        async with asyncio.timeout(self._timeout):
            return await waiter

    def _leave(self, waiter: asyncio.Future[_Handoff]) -> None:
        """A waiter gives up (timeout, cancelled task). If it was handed something in the meantime,
        that goes on to the next waiter or back to the pool: nothing leaks."""
        if waiter.done() and not waiter.cancelled():
            handoff = waiter.result()
            if handoff is None:
                self._dec_overflow()
            else:
                self._do_return_conn(handoff)
            return
        with contextlib.suppress(ValueError):  # _do_get may have dropped it already
            self._waiters.remove(waiter)
