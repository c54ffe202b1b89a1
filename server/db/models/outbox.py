"""Notifications waiting for delivery, and the scheduler's ticks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned

DEAD = text("dead_at IS NOT NULL")


class OutboxMessage(TenantOwned, Base):
    """A notification written in the transaction of the change it reports, delivered later by a
    worker. Dead (dead_at set) once the retry policy's last attempt failed: kept, not retried
    until an admin says so."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("tenant_id", "key"),
        Index("ix_outbox_pending", "delivered_at", "dead_at", "next_attempt_at"),
        Index("ix_outbox_dead", "tenant_id", "id", postgresql_where=DEAD, sqlite_where=DEAD),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    topic: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    dead_at: Mapped[datetime | None]


class SchedulerTick(Base):
    """One row per periodic tick sent: the scheduler that inserts it sends the tick, any other
    skips."""

    __tablename__ = "scheduler_ticks"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    tick_at: Mapped[datetime] = mapped_column(primary_key=True)
