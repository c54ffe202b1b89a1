"""The tenants: one row per brand, with its profile and policy version."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, true
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base


class Tenant(Base):
    """A brand. Not tenant-owned itself: only platform sessions list or create tenants."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    profile_name: Mapped[str] = mapped_column(String(40))
    profile_version: Mapped[str] = mapped_column(String(40))
    profile_documents: Mapped[dict[str, Any]]
    # Bumped on every profile import, calendar or working-hours change, so each process rebuilds
    # its cached runtime (profile, policy, calendar) without a watcher.
    policy_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    # A deactivated tenant keeps its data; its tokens are refused (services/caller.py).
    active: Mapped[bool] = mapped_column(default=True, server_default=true())
