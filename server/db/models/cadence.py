"""Cadence reports: the summaries a tenant's profile schedules (cadence.yaml), produced by the
scheduler's tick and kept, one per kind and period."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned


class CadenceReport(TenantOwned, Base):
    """One produced report: unique per tenant, kind and period, so a tick that runs twice (or a
    message delivered twice) finds it produced and writes nothing."""

    __tablename__ = "cadence_reports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "kind", "period"),
        Index("ix_cadence_reports_kind", "tenant_id", "kind", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # the report's code in cadence.yaml
    period: Mapped[str] = mapped_column(String(40))  # 2026-11, or 2026-W48 for a weekly one
    starts_at: Mapped[datetime]  # the period covered, [starts_at, ends_at)
    ends_at: Mapped[datetime]
    produced_at: Mapped[datetime]
    figures: Mapped[dict[str, Any]]  # the analysis of the period, as services/analysis.py says
