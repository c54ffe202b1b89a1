"""Engines and sessions. A session is bound to one tenant when it is made, and every ORM statement
it runs on a tenant-owned table gets that tenant's filter added here, so no query can forget it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, TypeVar

import orjson
from sqlalchemy import Executable, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncResult,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.pool import NullPool

from server.adapters.events import Bus, LocalBus
from server.db import binding, board_counts
from server.db.fair_pool import FairPool
from server.db.models import TenantOwned

TENANT = "tenant_id"
Scoped = TypeVar("Scoped", bound=Executable)
PLATFORM = "platform"
EVENTS = "events"  # every session's: the bus its committed order events go out on
# PostgreSQL's row-level security backs up the ORM filter below: every transaction binds itself
# first, to its tenant (and runs as the tenant role) or to the platform, and the policies check
# that binding, which nothing later in the transaction can switch (server/db/binding.py).
ENTER_TENANT = text(binding.ENTER)
ENTER_PLATFORM = text(binding.ENTER_PLATFORM)


class TenantScopeError(RuntimeError):
    """A statement reached a tenant-owned table through a session bound to no tenant."""


def create_engine(url: str, *, immediate: bool = False, pooled: bool = True) -> AsyncEngine:
    """An async engine; on SQLite `immediate` makes each transaction take the write lock up front,
    so two writers queue instead of one failing with "database is locked" on lock upgrade.
    Unpooled engines hold no connection between uses (workers: nothing outlives a message)."""
    parsed = make_url(url)
    # JSON columns (an order's demands and flags, an event's data) are read on every page: orjson
    # decodes them several times faster than the standard library. Writing keeps the default.
    options: dict[str, Any] = {"json_deserializer": orjson.loads} | (
        {} if pooled else {"poolclass": NullPool}
    )
    if parsed.get_backend_name() != "sqlite":
        # Requests waiting for a connection get one in the order they asked (fair_pool.py), not
        # whoever asks as one comes back. SQLite keeps the pool SQLAlchemy picks for it.
        fair: dict[str, Any] = {"poolclass": FairPool} if pooled else {}
        return create_async_engine(url, pool_pre_ping=True, **fair, **options)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(url, connect_args={"timeout": 30}, **options)
    _sqlite_pragmas(engine, "BEGIN IMMEDIATE" if immediate else "BEGIN")
    return engine


def _sqlite_pragmas(engine: AsyncEngine, begin: str) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)


@event.listens_for(Session, "do_orm_execute")
def _scope_to_tenant(state: ORMExecuteState) -> None:
    if state.is_column_load or state.is_relationship_load or state.is_insert:
        # loads inherit the parent's criteria; inserts are stamped in before_flush or name tenant_id
        return
    tenant_id = state.session.info.get(TENANT)
    if tenant_id is None:
        if not state.session.info.get(PLATFORM):
            raise TenantScopeError("session is bound to no tenant")
        return
    if not state.is_orm_statement:
        # the option reaches mapped entities only; Core look-ups bind their tenant (lookups.py)
        return
    state.statement = _tenant_criteria(state.statement, tenant_id)


def _tenant_criteria(statement: Scoped, tenant_id: int) -> Scoped:
    # Applied when the statement compiles, whoever executes it (stream_rows below included).
    return statement.options(
        with_loader_criteria(
            TenantOwned, lambda cls: cls.tenant_id == tenant_id, include_aliases=True
        )
    )


async def stream_rows(
    session: AsyncSession, statement: Executable, *, batch: int
) -> AsyncResult[Any]:
    """The rows of a select of columns, streamed as Core rows: the ORM's per-row loading was a
    sixth of a 200,000-row export's CPU (bench/README.md, reports). The session's tenant filter
    goes on every tenant-owned table as the ORM hook above would put it."""
    tenant_id = session.info.get(TENANT)
    if tenant_id is None:
        raise TenantScopeError("session is bound to no tenant")
    connection = await session.connection()  # the session's transaction, bound to its tenant
    if connection.dialect.name == "postgresql":
        # A long select's estimated cost starts PostgreSQL's JIT compiler, which held back the
        # first of 200,000 rows for 1.9 s of a 2.0 s wait; a stream gains nothing from it.
        await connection.execute(text("SET LOCAL jit = off"))
    scoped = _tenant_criteria(statement, tenant_id).execution_options(yield_per=batch)
    return await connection.stream(scoped)


@event.listens_for(Session, "after_begin")
def _enter_tenant(session: Session, _transaction: Any, connection: Any) -> None:
    tenant_id = session.info.get(TENANT)
    if connection.dialect.name != "postgresql":
        return
    if tenant_id is not None:
        connection.execute(ENTER_TENANT, {"role": binding.TENANT_ROLE, "tenant": tenant_id})
    elif session.info.get(PLATFORM):
        connection.execute(ENTER_PLATFORM)


async def enter_platform(connection: AsyncConnection) -> None:
    """For the few readers across tenants that hold a connection rather than a session: bind the
    transaction just begun to the platform, as a platform session's transactions are."""
    if connection.dialect.name == "postgresql":
        await connection.execute(ENTER_PLATFORM)


@event.listens_for(Session, "before_flush")
def _stamp_tenant(session: Session, _ctx: Any, _instances: Any) -> None:
    tenant_id = session.info.get(TENANT)
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if tenant_id is None and not session.info.get(PLATFORM):
            raise TenantScopeError("session is bound to no tenant")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif tenant_id is not None and obj.tenant_id != tenant_id:
            raise TenantScopeError("row of another tenant added to a tenant session")


@event.listens_for(Session, "after_flush")
def _count_orders(session: Session, _ctx: Any) -> None:
    # After the flush, while the orders' attribute histories still hold what they were loaded as.
    board_counts.apply(session, board_counts.moves(session))
    board_counts.apply_hours(session, board_counts.hour_moves(session))


class Database:
    """The engines of one deployment: reads, and (on SQLite) a write engine that serialises writers;
    and the bus that carries what their transactions commit to live subscribers (in-process unless
    the entry point hands it one on Redis)."""

    def __init__(self, url: str, *, pooled: bool = True, events: Bus | None = None):
        self.url = url
        self.events = events if events is not None else LocalBus()
        self.engine = create_engine(url, pooled=pooled)
        sqlite = self.engine.dialect.name == "sqlite"
        self.write_engine = (
            create_engine(url, immediate=True, pooled=pooled) if sqlite else self.engine
        )
        self._reads = async_sessionmaker(
            self.engine, expire_on_commit=False, info={EVENTS: self.events}
        )
        # Per-tenant state derived from this database (profile, policy, calendar), by tenant id.
        self.runtimes: dict[int, Any] = {}
        self._runtime_locks: dict[int, asyncio.Lock] = {}
        self._writes = async_sessionmaker(
            self.write_engine, expire_on_commit=False, info={EVENTS: self.events}
        )

    def reader(self, tenant_id: int) -> AsyncSession:
        return self._reads(info={TENANT: tenant_id})

    def writer(self, tenant_id: int) -> AsyncSession:
        return self._writes(info={TENANT: tenant_id})

    def platform(self) -> AsyncSession:
        """Outside every tenant: creating tenants, and the few look-ups that precede knowing one."""
        return self._writes(info={PLATFORM: True})

    def runtime_lock(self, tenant_id: int) -> asyncio.Lock:
        """Held while the tenant's runtime is rebuilt."""
        return self._runtime_locks.setdefault(tenant_id, asyncio.Lock())

    def tenant(self, tenant_id: int) -> TenantDb:
        return TenantDb(self, tenant_id)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.write_engine is not self.engine:
            await self.write_engine.dispose()


class TenantDb:
    """One request's (or one job's) access to one tenant's data.

    GraphQL resolves sibling fields concurrently and an AsyncSession allows one operation at a
    time, so reads share one session behind a lock. Each write is its own transaction on its own
    session; after it commits the read session starts a fresh snapshot, so what the mutation wrote
    is what its payload shows.
    """

    def __init__(self, database: Database, tenant_id: int):
        self.database = database
        self.tenant_id = tenant_id
        self._lock = asyncio.Lock()
        self._reader: AsyncSession | None = None

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            if self._reader is None:
                self._reader = self.database.reader(self.tenant_id)
            yield self._reader

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        async with self._lock:
            await self._end_read()
            async with self.database.writer(self.tenant_id) as session, session.begin():
                yield session

    async def close(self) -> None:
        async with self._lock:
            await self._end_read()

    async def _end_read(self) -> None:
        # Closing (not rolling back) keeps what was read usable: rows detach with their values
        # loaded.
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
