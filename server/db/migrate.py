"""Bring a database's schema to the newest revision (Alembic, on a connection we hand it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine

SCRIPTS = Path(__file__).resolve().parents[1] / "migrations"


def _config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(sync_conn), revision))


async def autogenerate(engine: AsyncEngine, message: str) -> None:
    """Developer aid: write a new revision from the difference between the models and the
    database."""
    async with engine.begin() as conn:
        await conn.run_sync(
            lambda sync_conn: command.revision(
                _config(sync_conn), message=message, autogenerate=True
            )
        )
