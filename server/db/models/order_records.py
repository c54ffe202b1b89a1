"""What an order owes or has had recorded beyond its form: written reports owed from
registration, and facts and outcomes recorded during handling (docs/rules.md#written-reports)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned


class WrittenReport(TenantOwned, Base):
    """A report an order owes from its registration (the profile's written_reports.yaml), e.g. the
    written report of a major fault, due at once and escalated to the region."""

    __tablename__ = "written_reports"
    __table_args__ = (UniqueConstraint("tenant_id", "work_order_id", "code"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    code: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]  # None only while the year's calendar is missing
    escalated_to: Mapped[str] = mapped_column(String(40))  # a tier code
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class OrderFact(TenantOwned, Base):
    """A fact (`kind` fact, e.g. the customer could not be reached) or the outcome (`kind`
    outcome, at most one per order) recorded on an order, as the profile names them."""

    __tablename__ = "order_facts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "work_order_id", "kind", "code"),
        Index("ix_order_facts_order", "tenant_id", "work_order_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    kind: Mapped[str] = mapped_column(String(20))  # fact | outcome
    code: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime]
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
