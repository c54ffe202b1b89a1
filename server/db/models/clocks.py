"""The clocks of an order and the warnings and breaches the deadline scan recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned

MISSING_ONLY: dict[str, Any] = {
    "postgresql_where": text("missing_year IS NOT NULL"),
    "sqlite_where": text("missing_year IS NOT NULL"),
}
RUNNING_ONLY: dict[str, Any] = {
    "postgresql_where": text("stopped_at IS NULL AND running_since IS NOT NULL"),
    "sqlite_where": text("stopped_at IS NULL AND running_since IS NOT NULL"),
    "postgresql_include": ["due_at", "work_order_id"],
}
CHECKED_ONLY: dict[str, Any] = {
    "postgresql_where": text("next_check_at IS NOT NULL"),
    "sqlite_where": text("next_check_at IS NOT NULL"),
}


class WorkOrderClock(TenantOwned, Base):
    """One clock of one order (response, closure, a step), as server/domain/sla.py computes it."""

    __tablename__ = "work_order_clocks"
    __table_args__ = (
        UniqueConstraint("tenant_id", "work_order_id", "name"),
        # Partial: a clock leaves an index when it no longer needs it, so the scan's update of a
        # clock it has looked at writes no entry there.
        Index("ix_work_order_clocks_missing", "tenant_id", "missing_year", **MISSING_ONLY),
        # The deadline scan's work list: the clocks it must look at, by when.
        Index("ix_work_order_clocks_next_check", "next_check_at", "id", **CHECKED_ONLY),
        # The board's "due soon": running clocks whose warning has begun, with their deadline.
        Index("ix_work_order_clocks_running", "tenant_id", "warn_at", **RUNNING_ONLY),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    name: Mapped[str] = mapped_column(String(40))
    target: Mapped[int | None]
    unit: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    running_since: Mapped[datetime | None]
    used: Mapped[int] = mapped_column(default=0)
    budget: Mapped[int | None]
    due_at: Mapped[datetime | None]
    warn_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    missing_year: Mapped[int | None]
    next_check_at: Mapped[datetime | None]
    # Ended by the order's cancelling: neither met nor breached (status CANCELLED).
    cancelled: Mapped[bool] = mapped_column(default=False, server_default=false())


class SlaEffect(TenantOwned, Base):
    """A warning or breach recorded once per (order, clock, due instant), however often it is
    found."""

    __tablename__ = "sla_effects"
    __table_args__ = (UniqueConstraint("tenant_id", "work_order_id", "clock", "kind", "due_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    clock: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20))  # due_soon, breached
    due_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
