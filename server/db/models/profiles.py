"""The profile versions a tenant has had: every import is kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, TenantOwned


class ProfileVersion(TenantOwned, Base):
    """Every profile a tenant has had, kept: an order is run by the version it names in its
    profile_version until an admin migrates it (services/profile_versions.py)."""

    __tablename__ = "profile_versions"
    __table_args__ = (UniqueConstraint("tenant_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]  # 1, 2, ... in the order they were imported
    name: Mapped[str] = mapped_column(String(40))
    version: Mapped[str] = mapped_column(String(40))  # profile.yaml's version, as orders name it
    documents: Mapped[dict[str, Any]]
    # How open orders' dropped codes map into this version: {"states": {old: new}, "grades": ...}.
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: platform
