"""Upgrade-warning slips."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned


class WarningSlip(TenantOwned, Base):
    """An upgrade-warning slip (客户投诉升级预警单): one per order and trigger, however often it
    fires."""

    __tablename__ = "warning_slips"
    __table_args__ = (
        UniqueConstraint("tenant_id", "work_order_id", "trigger"),
        Index("ix_warning_slips_state", "tenant_id", "state", "issued_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    trigger: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    from_tier: Mapped[str] = mapped_column(String(40))
    to_tier: Mapped[str] = mapped_column(String(40))
    repeat_words: Mapped[str | None] = mapped_column(Text)  # 客户再次投诉内容
    state: Mapped[str] = mapped_column(String(20))  # issued, acknowledged, resulted
    issued_at: Mapped[datetime]
    issued_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id")
    )  # the CSR; None: the system
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result: Mapped[str | None] = mapped_column(Text)
    result_handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result_at: Mapped[datetime | None]
