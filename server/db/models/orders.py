"""Work orders, their numbers, their append-only history, contact attempts and the customer's
repeated calls."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned
from server.domain import bounds


class NumberSequence(TenantOwned, Base):
    """The last order number issued per tenant and day; numbers are never reused."""

    __tablename__ = "number_sequences"
    day: Mapped[str] = mapped_column(String(8), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


# Partial indexes of the escalations board: escalated orders only, with org_path for the scope
# check.
ESCALATIONS_ONLY: dict[str, Any] = {
    "postgresql_where": text("escalated"),
    "sqlite_where": text("escalated"),
    "postgresql_include": ["org_path"],
}


class WorkOrder(TenantOwned, Base):
    __tablename__ = "work_orders"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_work_orders_scope", "tenant_id", "org_path", "id"),
        Index("ix_work_orders_state", "tenant_id", "state", "id"),
        Index("ix_work_orders_registered", "tenant_id", "registered_at"),
        # The board's breached count and overdue list: past-due first, scope and state at hand.
        Index(
            "ix_work_orders_overdue",
            "tenant_id",
            "next_deadline_at",
            "id",
            postgresql_include=["org_path", "state"],
        ),
        Index("ix_work_orders_customer", "tenant_id", "customer_id"),
        Index("ix_work_orders_vehicle", "tenant_id", "vehicle_id"),
        Index("ix_work_orders_escalated", "tenant_id", "escalated", "registered_at"),
        # The escalations board (services/escalation_board.py) reads a few percent of the
        # orders: partial indexes on those alone, one per order it pages them in (age, breach). They
        # hold org_path, so a region's or dealer's board finds its page's ids without reading rows.
        Index("ix_work_orders_escalations_age", "tenant_id", "id", **ESCALATIONS_ONLY),
        Index(
            "ix_work_orders_escalations_breach",
            "tenant_id",
            "next_deadline_at",
            "id",
            **ESCALATIONS_ONLY,
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(40))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
    # Byte order in every locale: the scope filter selects a subtree as a range
    # (services/queries.py).
    org_path: Mapped[str] = mapped_column(
        String(400).with_variant(String(400, collation="C"), "postgresql")
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    vehicle_id: Mapped[int | None] = mapped_column(ForeignKey("vehicles.id"))
    profile_version: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(40))
    order_type: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str | None] = mapped_column(String(40))  # consultations are not graded
    tier: Mapped[str] = mapped_column(String(40))
    # The department of the dealer the order is routed to (its org_path is then the department's,
    # migration 0017); None: at the dealer itself.
    department: Mapped[str | None] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(default=1)
    received_at: Mapped[datetime]
    registered_at: Mapped[datetime]
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]
    summary: Mapped[str] = mapped_column(String(bounds.SUMMARY))
    details: Mapped[str] = mapped_column(Text)
    demands: Mapped[list[str]]
    flags: Mapped[list[str]]
    primary_handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    secondary_handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None]
    handled_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    measures: Mapped[str | None] = mapped_column(Text)
    root_cause: Mapped[str | None] = mapped_column(Text)
    customer_feedback: Mapped[str | None] = mapped_column(Text)
    # The earliest deadline of the order's running clocks, passed or not (services/clocks.py).
    next_deadline_at: Mapped[datetime | None]
    # Repeat complaints: the order this one repeats, and which complaint on the issue it is (1st,
    # 2nd...).
    repeat_of_id: Mapped[int | None] = mapped_column(ForeignKey("work_orders.id"))
    repeat_number: Mapped[int] = mapped_column(default=1)
    repeated: Mapped[bool] = mapped_column(
        default=False
    )  # a repeat followed: not resolved the first time
    escalated: Mapped[bool] = mapped_column(
        default=False
    )  # above its first tier, a repeat, or with a slip
    involved_staff: Mapped[list[int]] = mapped_column(JSON, default=list)  # may never handle it

    # The ORM adds "WHERE version = :old" to every UPDATE and raises StaleDataError when another
    # transaction got there first: the backstop behind the expectedVersion check. The version is
    # bumped by hand, once per change (server/services/changes.py), however many flushes it takes.
    __mapper_args__: Mapping[str, Any] = {
        "version_id_col": version,
        "version_id_generator": False,
    }


class WorkOrderEvent(TenantOwned, Base):
    """Append-only history: written in the transaction of the change it records, never updated."""

    __tablename__ = "work_order_events"
    __table_args__ = (Index("ix_work_order_events_order", "tenant_id", "work_order_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id")
    )  # None: the system (deadline scan)
    kind: Mapped[str] = mapped_column(String(40))
    transition: Mapped[str | None] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str | None] = mapped_column(String(40))
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ContactAttempt(TenantOwned, Base):
    __tablename__ = "contact_attempts"
    __table_args__ = (Index("ix_contact_attempts_order", "tenant_id", "work_order_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    at: Mapped[datetime]
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str] = mapped_column(String(20))  # reached, unreachable, refused
    note: Mapped[str | None] = mapped_column(Text)


class CustomerCall(TenantOwned, Base):
    """The customer calling again about an order that is open; counted per state for the warning
    rules."""

    __tablename__ = "customer_calls"
    __table_args__ = (Index("ix_customer_calls_order", "tenant_id", "work_order_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    at: Mapped[datetime]
    channel: Mapped[str] = mapped_column(String(40))
    words: Mapped[str] = mapped_column(Text)
    flags: Mapped[list[str]]
    state: Mapped[str] = mapped_column(String(40))
    meaning: Mapped[str] = mapped_column(String(20))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))


class BoardCount(TenantOwned, Base):
    """How many orders share a dealer (org path), state, grade, tier, category and whether a clock
    runs (a deadline is set): the board's counts without counting the orders. Kept by the flush of
    every order change (server/db/board_counts.py) in the change's own transaction; `complaintdesk
    board-counts` rebuilds it from the orders (docs/architecture.md#board)."""

    __tablename__ = "board_counts"
    __table_args__ = (
        UniqueConstraint("tenant_id", "state", "org_path", "grade", "tier", "category", "running"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_path: Mapped[str] = mapped_column(
        String(400).with_variant(String(400, collation="C"), "postgresql")
    )
    state: Mapped[str] = mapped_column(String(40))
    grade: Mapped[str] = mapped_column(String(40))  # "" for an ungraded order (a consultation)
    tier: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    running: Mapped[bool]  # next_deadline_at is set: a clock runs
    n: Mapped[int]


class TrendHour(TenantOwned, Base):
    """How many orders an org unit (and everything below it) registered, handled and closed in one
    UTC hour: the board's daily trend sums a range's hours by local day. Kept like BoardCount."""

    __tablename__ = "trend_hours"
    __table_args__ = (UniqueConstraint("tenant_id", "org_path", "hour"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_path: Mapped[str] = mapped_column(
        String(400).with_variant(String(400, collation="C"), "postgresql")
    )
    hour: Mapped[datetime]
    registered: Mapped[int] = mapped_column(default=0)
    handled: Mapped[int] = mapped_column(default=0)
    closed: Mapped[int] = mapped_column(default=0)
