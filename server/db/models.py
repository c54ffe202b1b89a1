"""Tables. Every tenant-owned row carries tenant_id, and every index serving a tenant query starts
with it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import UtcDateTime
from server.domain import bounds

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys for large tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }
    # Each model maps one declared table (SQLAlchemy types it as any FromClause, a join or select).
    __table__: ClassVar[Table]


class Tenant(Base):
    """A brand. Not tenant-owned itself: only platform sessions list or create tenants."""

    __tablename__ = "tenants"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    profile_name: Mapped[str] = mapped_column(String(40))
    profile_version: Mapped[str] = mapped_column(String(40))
    profile_documents: Mapped[dict[str, Any]]
    # Bumped on every profile import, calendar or working-hours change, so each process rebuilds
    # its cached runtime (profile, policy, calendar) without a watcher.
    policy_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime]
    # A deactivated tenant keeps its data; its tokens are refused (services/caller.py).
    active: Mapped[bool] = mapped_column(default=True, server_default=true())


class TenantOwned:
    """Marks a table whose rows belong to one tenant; server/db/session.py scopes every query on
    it."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))


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


class Customer(TenantOwned, Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(bounds.NAME))
    address: Mapped[str | None] = mapped_column(String(bounds.ADDRESS))
    postcode: Mapped[str | None] = mapped_column(String(bounds.POSTCODE))


class CustomerPhone(TenantOwned, Base):
    """Phones in E.164; one number belongs to one customer of a tenant, which is how callers are
    found."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(bounds.PHONE))


class Vehicle(TenantOwned, Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vin"),
        Index("ix_vehicles_customer", "tenant_id", "customer_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vin: Mapped[str] = mapped_column(String(17))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    engine_number: Mapped[str | None] = mapped_column(String(bounds.ENGINE_NUMBER))
    plate: Mapped[str | None] = mapped_column(String(bounds.PLATE))
    model: Mapped[str | None] = mapped_column(String(bounds.MODEL))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    mileage_km: Mapped[int | None]


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
        Index("ix_work_orders_customer", "tenant_id", "customer_id"),
        Index("ix_work_orders_vehicle", "tenant_id", "vehicle_id"),
        Index("ix_work_orders_escalated", "tenant_id", "escalated", "registered_at"),
        # The escalations board (services/queries.py list_escalations) reads a few percent of the
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


class CalendarDay(TenantOwned, Base):
    """A statutory holiday or make-up working day (from the holiday library), or a tenant's
    correction."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday, workday
    source: Mapped[str] = mapped_column(String(20))  # statutory, tenant
    note: Mapped[str | None] = mapped_column(String(200))


class CalendarYear(TenantOwned, Base):
    """A year whose official calendar is loaded: deadlines in other years are never guessed."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[datetime]


MISSING_ONLY: dict[str, Any] = {
    "postgresql_where": text("missing_year IS NOT NULL"),
    "sqlite_where": text("missing_year IS NOT NULL"),
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
    that settled it) say which deadline decided it and by how much."""

    __tablename__ = "kpi_order_outcomes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id", "work_order_id", "kpi"),
        Index("ix_kpi_order_outcomes_order", "tenant_id", "work_order_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("kpi_statements.id"))
    work_order_id: Mapped[int] = mapped_column(ForeignKey("work_orders.id"))
    org_unit_id: Mapped[int] = mapped_column(ForeignKey("org_units.id"))
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
