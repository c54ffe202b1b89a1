"""The browser origins of every tenant's portals, for what arrives before a tenant is known: a CORS
preflight carries no token. Each tenant's own list (its profile's portal.yaml) decides everything
that does carry one."""

from __future__ import annotations

import time

from sqlalchemy import select

from server.db.models import Tenant
from server.db.session import Database

REFRESH_SECONDS = 30.0  # how soon a profile import's new origins pass preflights in every process


class RegisteredOrigins:
    def __init__(self, database: Database):
        self.database = database
        self._origins: frozenset[str] = frozenset()
        self._read_at = float("-inf")

    async def any_tenant(self) -> frozenset[str]:
        if time.monotonic() - self._read_at > REFRESH_SECONDS:
            async with self.database.platform() as session:
                lists = (
                    await session.scalars(
                        select(Tenant.profile_documents["portal.yaml"]["origins"])
                    )
                ).all()
            self._origins = frozenset(
                origin.rstrip("/").lower() for origins in lists if origins for origin in origins
            )
            self._read_at = time.monotonic()
        return self._origins
