"""Fixtures: one migrated database per backend (SQLite and PostgreSQL), and a fresh tenant per test.

Tests share a database but never a tenant, so tenant isolation is also what keeps them apart.
Where PostgreSQL or Redis cannot be reached the tests that need it skip with the reason, except
under CI=true, where they fail: CI must never pass by skipping.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator

import pytest

from server.db import binding, migrate
from server.db.session import Database
from server.settings import Settings

PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
# Engineers running suites side by side on one server give each run its own databases.
DB_SUFFIX = os.environ.get("TEST_DB_SUFFIX", "")
PG_DB = f"complaintdesk_test{DB_SUFFIX}"
IN_CI = os.environ.get("CI") == "true"

TEST_SETTINGS = Settings(
    database_url="sqlite+aiosqlite://",
    redis_url=None,
    jwt_algorithm="HS256",
    jwt_signing_key="test-secret-with-at-least-32-bytes-of-entropy",
    jwt_verify_key="test-secret-with-at-least-32-bytes-of-entropy",
    token_lifetime_hours=1,
)


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def need_service(name: str, host: str, port: int) -> None:
    if reachable(host, port):
        return
    reason = f"{name} at {host}:{port} is unreachable"
    if IN_CI:
        pytest.fail(f"{reason}; CI=true requires it (start it as .ci/run does)")
    pytest.skip(reason)


async def fresh_pg_database(name: str) -> str:
    """An empty PostgreSQL database of this name (dropped first if it exists); its URL."""
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN_URL)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"


def as_login_role(url: str) -> str:
    """The URL of the application's login role on the database `url` names (created by migration
    0020; it owns nothing and can only become the tenant role: docs/database-roles.md)."""
    return url.replace("//postgres@", f"//{binding.LOGIN_ROLE}@", 1)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Database]:
    if request.param == "postgresql":
        db = await migrated_pg_database(PG_DB)
    else:
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        db = await migrated(url)
    yield db
    await db.dispose()


async def migrated(url: str) -> Database:
    """The database at `url` migrated by its owner, opened as the login role production uses
    (the same URL on SQLite)."""
    owner = Database(url)
    await migrate.upgrade(owner.write_engine)
    await owner.dispose()
    return Database(as_login_role(url))


async def migrated_pg_database(name: str) -> Database:
    """A new, migrated PostgreSQL database of this name, opened as the login role."""
    need_service("PostgreSQL", "127.0.0.1", 5432)
    return await migrated(await fresh_pg_database(name))
