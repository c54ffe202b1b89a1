"""KPI statements, their lines, order outcomes and adjustments, appeals and their decisions,
deliveries and the quarterly ranking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned


class KpiStatement(TenantOwned, Base):
    """A frozen KPI statement (one per tenant, period and kind): issued once, never updated or
    deleted, and neither are its lines, order outcomes and adjustments (migration 0010 takes
    UPDATE and DELETE on them from the application role)."""

    __tablename__ = "kpi_statements"
    __table_args__ = (UniqueConstraint("tenant_id", "period", "kind"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    period: Mapped[str] = mapped_column(String(7))  # 2026-03
    kind: Mapped[str] = mapped_column(String(20))  # monthly
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    issued_at: Mapped[datetime]  # the instant the outcomes were taken at
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the scheduler
    profile_version: Mapped[str] = mapped_column(String(40))


class KpiStatementLine(TenantOwned, Base):
    """One KPI's counts for one org unit (dealer, region or brand) in a statement."""

    __tablename__ = "kpi_statement_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id", "org_unit_id", "kpi"),
        Index("ix_kpi_statement_lines_scope", "tenant_id", "statement_id", "org_path"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("kpi_statements.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(400))
    level: Mapped[str] = mapped_column(String(20))  # dealer, region, brand
    kpi: Mapped[str] = mapped_column(String(40))
    population: Mapped[int]
    timely: Mapped[int]
    not_timely: Mapped[int]
    pending: Mapped[int]
    adjusted_timely: Mapped[int]  # adjustments carried into this statement, settling earlier ones
    adjusted_not_timely: Mapped[int]


class KpiOrderOutcome(TenantOwned, Base):
    """What one KPI said of one order in a statement: the evidence behind its line, and what a
    re-run compares a fresh computation with. `due_at` and `at` (when it was met, or the instant
    that settled it) say which deadline decided it and by how much.

    No foreign keys (migration 0015): the rows are frozen, copied in bulk from rows of the same
    transaction, and the checks were most of the cost of issuing a month."""

    __tablename__ = "kpi_order_outcomes"
    __table_args__ = (UniqueConstraint("tenant_id", "statement_id", "work_order_id", "kpi"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)
    statement_id: Mapped[int] = mapped_column(BigId)
    work_order_id: Mapped[int] = mapped_column(BigId)
    org_unit_id: Mapped[int] = mapped_column(Integer)
    org_path: Mapped[str] = mapped_column(String(400))
    kpi: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))  # timely, not_timely, pending
    due_at: Mapped[datetime | None]
    at: Mapped[datetime | None]


class KpiAdjustment(TenantOwned, Base):
    """A change to an issued statement's outcome of one order, carried into the statement of a
    later period (`period`) instead of editing the issued one: a re-run's discrepancy, a pending
    order settled, an accepted appeal. The outcome an order has now is its last adjustment's."""

    __tablename__ = "kpi_adjustments"
    __table_args__ = (
        Index("ix_kpi_adjustments_period", "tenant_id", "period"),
        Index("ix_kpi_adjustments_origin", "tenant_id", "origin_statement_id", "work_order_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    origin_statement_id: Mapped[int] = mapped_column(ForeignKey("kpi_statements.id"))
    period: Mapped[str] = mapped_column(String(7))  # the statement that carries it
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(400))
    kpi: Mapped[str] = mapped_column(String(40))
    from_outcome: Mapped[str] = mapped_column(String(20))
    to_outcome: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(20))  # rerun, settled, appeal
    due_at: Mapped[datetime | None]
    at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class KpiAppeal(TenantOwned, Base):
    """A dealer's appeal (申诉) against one order's outcome of one KPI in an issued statement.
    Frozen like the statement (migration 0013): its decision is a row of its own, never an edit."""

    __tablename__ = "kpi_appeals"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id", "work_order_id", "kpi"),
        Index("ix_kpi_appeals_scope", "tenant_id", "org_path"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("kpi_statements.id"))
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(400))
    kpi: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))  # the outcome appealed against
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    filed_at: Mapped[datetime]


class KpiAppealDecision(TenantOwned, Base):
    """The RBO's or SE's decision on an appeal: one per appeal. An accepted one names the adjustment
    it carried into the next statement (none when the outcome had already changed since)."""

    __tablename__ = "kpi_appeal_decisions"
    __table_args__ = (UniqueConstraint("tenant_id", "appeal_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    appeal_id: Mapped[int] = mapped_column(ForeignKey("kpi_appeals.id"))
    accepted: Mapped[bool]
    reason: Mapped[str] = mapped_column(Text)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime]
    adjustment_id: Mapped[int | None] = mapped_column(ForeignKey("kpi_adjustments.id"))


class KpiDelivery(TenantOwned, Base):
    """A dealer's vehicle deliveries (交车数) in a quarter: the ranking's tie-break. Imported, and
    imported again to correct it, until the quarter's finance statement copies the figure."""

    __tablename__ = "kpi_deliveries"
    __table_args__ = (UniqueConstraint("tenant_id", "quarter", "org_unit_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7))  # 2026-Q1
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    deliveries: Mapped[int]
    imported_at: Mapped[datetime]
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the CLI


class KpiRankingLine(TenantOwned, Base):
    """One dealer's line in a quarter's frozen finance statement (a KpiStatement of kind quarterly):
    its score, its rank in its region, the deliveries that broke ties, reward and penalty."""

    __tablename__ = "kpi_ranking_lines"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id", "org_unit_id"),
        Index("ix_kpi_ranking_lines_scope", "tenant_id", "statement_id", "org_path"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("kpi_statements.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    org_path: Mapped[str] = mapped_column(String(400))
    region_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    # The exact decimal as text ("87.50"): SQLite has no decimal type; None: nothing to assess.
    score: Mapped[str | None] = mapped_column(String(12))
    rank: Mapped[int]
    deliveries: Mapped[int]
    reward: Mapped[int]
    penalty: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
