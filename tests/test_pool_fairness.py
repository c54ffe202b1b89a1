"""Requests waiting for a database connection get one in the order they asked
(server/db/fair_pool.py).

The stock pool lets whoever checks out as a connection comes back take it ahead of the waiters it
woke; a client that asks again at once keeps the connection and the others starve (issue 19: the
list's p95 was 8-12x its p50). The pool-level tests run on SQLite files, the pool being the same
class whatever the driver; the last ones run against PostgreSQL through the product's engine.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from conftest import PG_ADMIN_URL, need_service
from sqlalchemy import exc, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import AsyncAdaptedQueuePool, NullPool

from server.db.fair_pool import FairPool
from server.db.session import create_engine

CLIENTS = 5
ROUNDS = 3


@pytest.fixture
async def one_connection(tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A fair pool of exactly one connection: every other client has to wait for it."""
    engine = pool_engine(tmp_path, FairPool, pool_timeout=5)
    yield engine
    await engine.dispose()


def pool_engine(tmp_path: Path, pool: type, **options: Any) -> AsyncEngine:
    return create_async_engine(
        f"sqlite+aiosqlite:///{tmp_path / 'pool.db'}",
        poolclass=pool,
        **({"pool_size": 1, "max_overflow": 0} | options),
    )


async def greedy_clients(engine: AsyncEngine, clients: int, rounds: int) -> list[int]:
    """Each client checks out, runs a statement and gives the connection back, `rounds` times,
    asking again the moment it let go (as a busy server's next request does). Clients start in
    index order, each once the last is waiting, and whoever got a connection keeps it until all
    have started. The order in which they were served."""
    served: list[int] = []
    all_started = asyncio.Event()

    async def client(index: int) -> None:
        for _ in range(rounds):
            # Not `async with`: its exit closes in a task of its own, which gives the woken waiter
            # a head start that a busy server's other requests do not give it.
            conn = await engine.connect()
            try:
                served.append(index)
                await all_started.wait()
                await conn.execute(text("SELECT 1"))
            finally:
                await conn.close()

    tasks = []
    for index in range(clients):
        tasks.append(asyncio.create_task(client(index)))
        await asyncio.sleep(0.02)  # the client holds a connection or is queued for one
    all_started.set()
    await asyncio.gather(*tasks)
    return served


async def checkout(engine: AsyncEngine) -> AsyncConnection:
    return await engine.connect()


async def test_waiters_are_served_in_the_order_they_asked(one_connection):
    served = await greedy_clients(one_connection, CLIENTS, ROUNDS)
    assert served == list(range(CLIENTS)) * ROUNDS


async def test_the_stock_pool_serves_whoever_asks_first_which_is_why_fair_pool_exists(tmp_path):
    # If this starts failing, SQLAlchemy's pool has become fair and FairPool can go.
    engine = pool_engine(tmp_path, AsyncAdaptedQueuePool, pool_timeout=5)
    try:
        served = await greedy_clients(engine, CLIENTS, ROUNDS)
    finally:
        await engine.dispose()
    assert served[:ROUNDS] == [0] * ROUNDS  # the first client never let the others in


async def test_a_waiter_that_times_out_leaves_the_line_with_sqlalchemys_error(tmp_path):
    engine = pool_engine(tmp_path, FairPool, pool_timeout=0.2)
    try:
        holder = await engine.connect()
        with pytest.raises(exc.TimeoutError, match=r"timed out, timeout 0\.20"):
            await engine.connect()
        await holder.close()
        # What the holder gave back is in the pool, not handed to the waiter that gave up.
        assert (engine.pool.checkedout(), engine.pool.checkedin()) == (0, 1)
        async with engine.connect() as conn:
            assert await conn.scalar(text("SELECT 1")) == 1
    finally:
        await engine.dispose()


async def test_a_connection_handed_to_a_cancelled_waiter_goes_to_the_next(one_connection):
    holder = await one_connection.connect()
    cancelled = asyncio.create_task(checkout(one_connection))
    await asyncio.sleep(0.02)
    behind = asyncio.create_task(checkout(one_connection))
    await asyncio.sleep(0.02)
    await holder.close()  # hands the connection to `cancelled`, which has not run since
    cancelled.cancel()  # a request abandoned in that instant (client gone, timeout)
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    conn = await asyncio.wait_for(behind, 2)
    assert await conn.scalar(text("SELECT 1")) == 1
    await conn.close()
    assert (one_connection.pool.checkedout(), one_connection.pool.checkedin()) == (0, 1)


async def test_a_cancelled_waiter_leaves_the_line_and_leaks_nothing(one_connection):
    holder = await one_connection.connect()
    waiting = asyncio.create_task(checkout(one_connection))
    await asyncio.sleep(0.02)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await holder.close()
    assert (one_connection.pool.checkedout(), one_connection.pool.checkedin()) == (0, 1)


async def test_an_invalidated_connection_reaches_the_waiter_reconnected(one_connection):
    holder = await one_connection.connect()
    waiting = asyncio.create_task(checkout(one_connection))
    await asyncio.sleep(0.02)
    await holder.invalidate()  # e.g. the driver saw the connection die
    await holder.close()
    conn = await asyncio.wait_for(waiting, 2)
    assert await conn.scalar(text("SELECT 1")) == 1
    await conn.close()


async def test_a_connection_handed_to_a_waiter_skips_the_ping_an_idle_one_does_not(tmp_path):
    engine = pool_engine(tmp_path, FairPool, pool_timeout=5, pool_pre_ping=True)
    pings = 0
    ping = engine.dialect.do_ping

    def counted(dbapi_connection: Any) -> bool:
        nonlocal pings
        pings += 1
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted  # type: ignore[method-assign]
    try:
        holder = await checkout(engine)  # new: never pinged
        waiting = asyncio.create_task(checkout(engine))
        await asyncio.sleep(0.02)
        await holder.close()  # reset, then handed straight to the waiter
        handed = await asyncio.wait_for(waiting, 5)
        assert pings == 0
        await handed.close()  # nobody waits: into the idle queue
        idle = await checkout(engine)
        assert pings == 1
        await idle.close()
    finally:
        await engine.dispose()


async def test_an_overflow_connection_goes_to_a_waiter_and_is_closed_when_nobody_waits(tmp_path):
    engine = pool_engine(tmp_path, FairPool, max_overflow=1, pool_timeout=5)
    try:
        first, second = await engine.connect(), await engine.connect()  # the second is overflow
        waiting = asyncio.create_task(checkout(engine))
        await asyncio.sleep(0.02)
        await second.close()
        third = await asyncio.wait_for(waiting, 2)
        assert engine.pool.checkedout() == 2
        await first.close()
        await third.close()
        assert (engine.pool.checkedin(), engine.pool.overflow()) == (1, 0)
    finally:
        await engine.dispose()


def test_the_products_pooled_postgresql_engines_use_it():
    url = "postgresql+asyncpg://postgres@127.0.0.1:5432/any"  # made, never connected
    assert isinstance(create_engine(url).pool, FairPool)
    assert isinstance(create_engine(url, pooled=False).pool, NullPool)
    assert not isinstance(create_engine("sqlite+aiosqlite:///:memory:").pool, FairPool)


@pytest.fixture
def pg_url() -> str:
    need_service("PostgreSQL", "127.0.0.1", 5432)
    return make_url(PG_ADMIN_URL).set(drivername="postgresql+asyncpg").render_as_string(False)


async def test_postgresql_through_the_products_engine_serves_in_order(pg_url):
    # The product's pool: 5 connections plus 10 of overflow. Five clients more than that wait;
    # served in order, every client has its first turn before anyone has a third.
    engine = create_engine(pg_url)
    pool = engine.pool
    assert isinstance(pool, FairPool)
    try:
        clients = pool.size() + pool._max_overflow + 5
        served = await greedy_clients(engine, clients, ROUNDS)
    finally:
        await engine.dispose()
    turns: dict[int, int] = {}
    for index in served:
        turns[index] = turns.get(index, 0) + 1
        if turns[index] == ROUNDS:
            assert len(turns) == clients, f"client {index} had a third turn before some a first"


async def test_postgresql_a_backend_killed_while_requests_wait_is_replaced(pg_url):
    engine = create_async_engine(
        pg_url, poolclass=FairPool, pool_size=1, max_overflow=0, pool_pre_ping=True
    )
    try:
        holder = await engine.connect()
        pid = await holder.scalar(text("SELECT pg_backend_pid()"))
        waiting = asyncio.create_task(checkout(engine))
        await asyncio.sleep(0.02)
        admin = await asyncpg.connect(PG_ADMIN_URL)
        try:
            # With a timeout it waits until the backend has gone, rather than only signal it.
            assert await admin.fetchval("SELECT pg_terminate_backend($1, 5000)", pid)
        finally:
            await admin.close()
        with contextlib.suppress(exc.DBAPIError):  # the stock pool's too: its reset fails
            await holder.close()  # and the connection is invalidated
        conn = await asyncio.wait_for(waiting, 5)
        assert await conn.scalar(text("SELECT pg_backend_pid()")) != pid
        await conn.close()
    finally:
        await engine.dispose()
