"""Revisits (回访) to the customer after handling, and their attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned
from server.domain import bounds


class Revisit(TenantOwned, Base):
    """A callback (回访) to the customer of an order, created by a workflow step as the profile's
    revisits.yaml says: one per order and triggering step, however often the step is delivered.
    Its deadline is the order's clock named `revisit-<id>` (services/revisits.py), which the
    deadline scan warns about and breaches like the others."""

    __tablename__ = "revisits"
    __table_args__ = (
        # The step that created it: the transition and the order version it produced.
        UniqueConstraint("tenant_id", "work_order_id", "trigger", "order_version"),
        Index("ix_revisits_due", "tenant_id", "state", "due_at", "id"),
        Index("ix_revisits_scope", "tenant_id", "org_path", "id"),
        Index("ix_revisits_order", "tenant_id", "work_order_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    # The order's dealer, copied: lists and statistics are scoped and grouped without the order.
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(
        String(400).with_variant(String(400, collation="C"), "postgresql")
    )
    trigger: Mapped[str] = mapped_column(String(40))
    order_version: Mapped[int]
    state: Mapped[str] = mapped_column(String(20))  # open, completed, unsuccessful, cancelled
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    # The clock's deadline, copied so the due list is one index range (moved by "call back").
    due_at: Mapped[datetime | None]
    failed_attempts: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    finished_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str | None] = mapped_column(String(40))  # a result type code of the profile
    successful: Mapped[bool | None]
    words: Mapped[str | None] = mapped_column(Text)  # the customer's verbatim words
    answers: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{question, answer}] in order
    reason: Mapped[str | None] = mapped_column(Text)  # why it was cancelled or ended unsuccessful
    follow_up_order_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))


class RevisitAttempt(TenantOwned, Base):
    """One call (or letter, visit) of a revisit: append-only."""

    __tablename__ = "revisit_attempts"
    __table_args__ = (Index("ix_revisit_attempts_revisit", "tenant_id", "revisit_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    revisit_id: Mapped[int] = mapped_column(ForeignKey("revisits.id"))
    at: Mapped[datetime]
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # reached, no_answer, busy, refused, call_back
    channel: Mapped[str] = mapped_column(String(20))  # phone, email, letter, visit
    script: Mapped[str | None] = mapped_column(String(bounds.NAME))  # the script or question set
    notes: Mapped[str | None] = mapped_column(Text)
    call_back_at: Mapped[datetime | None]
