"""The benchmark database: created when missing, migrated, and a tenant's rows removed on
--reset."""

from __future__ import annotations

import asyncpg
from sqlalchemy import Table, text
from sqlalchemy.engine import make_url

from server.db import migrate
from server.db.models import Base
from server.db.session import Database

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/complaintdesk_bench"


def tenant_tables() -> list[Table]:
    """Every tenant-owned table, children before parents."""
    return [
        t
        for t in reversed(Base.metadata.sorted_tables)
        if "tenant_id" in t.c and t.name != "tenants"
    ]


def plain_dsn(url: str) -> str:
    """asyncpg speaks libpq URLs, not SQLAlchemy's postgresql+asyncpg:// form."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def ensure_database(url: str) -> None:
    parsed = make_url(url)
    admin = await asyncpg.connect(plain_dsn(str(parsed.set(database="postgres"))))
    try:
        if not await admin.fetchval(
            "SELECT 1 FROM pg_database WHERE datname = $1", parsed.database
        ):
            await admin.execute(f'CREATE DATABASE "{parsed.database}"')
            print(f"created database {parsed.database}")
    finally:
        await admin.close()


async def prepare(url: str) -> Database:
    await ensure_database(url)
    database = Database(url)
    await migrate.upgrade(database.write_engine)
    return database


async def delete_tenant(database: Database, tenant_id: int) -> None:
    """Deletes every row of the tenant. Foreign-key triggers are off for this transaction: most
    referencing columns lead no index (they follow tenant_id), so each parent row deleted would
    scan its children's tables, and 100,000 orders took over 10 minutes to fail. Every row of the
    tenant goes, so no reference is left dangling. Needs a superuser (the bench's postgres)."""
    async with database.engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tenant_tables():
            await conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
        await conn.execute(text("DELETE FROM tenants WHERE id = :t"), {"t": tenant_id})


async def vacuum_analyze(database: Database) -> None:
    """Fresh statistics and visibility maps, so plans are the ones a settled production database
    gets."""
    async with database.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in Base.metadata.sorted_tables:
            await conn.execute(text(f"VACUUM ANALYZE {table.name}"))
