"""The directory of a tenant: its org tree, its users, their role grants and the audit history
of all three."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned


class OrgUnit(TenantOwned, Base):
    __tablename__ = "org_units"
    __table_args__ = (UniqueConstraint("tenant_id", "path"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"))
    kind: Mapped[str] = mapped_column(String(20))  # brand, region, dealer, department
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    path: Mapped[str] = mapped_column(String(400))
    # Business time, inherited down the tree where null (server/services/calendars.py).
    timezone: Mapped[str | None] = mapped_column(String(64))
    working_hours: Mapped[list[str] | None] = mapped_column(JSON)
    working_weekdays: Mapped[list[int] | None] = mapped_column(JSON)  # Monday = 0


class User(TenantOwned, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "username"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    absent: Mapped[bool] = mapped_column(default=False)  # on leave: their orders' deputies step in


class RoleAssignment(TenantOwned, Base):
    """A role granted to a user at an org unit; it holds for the unit's whole subtree."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        UniqueConstraint("tenant_id", "user_id", "role", "org_unit_id"),
        Index("ix_role_assignments_tenant_path", "tenant_id", "org_path"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(40))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(400))


class DirectoryEvent(TenantOwned, Base):
    """The audit history of the org tree, the users and their grants: appended in the change's
    transaction, never edited (the tenant role may not update or delete it on PostgreSQL)."""

    __tablename__ = "directory_events"
    __table_args__ = (Index("ix_directory_events_tenant", "tenant_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the platform admin
    actor: Mapped[str] = mapped_column(String(80))  # the username, or platform:<name>
    kind: Mapped[str] = mapped_column(
        String(40)
    )  # org_unit.added, user.deactivated, role.granted, ...
    target: Mapped[str] = mapped_column(String(400))  # the org path or the username acted on
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
