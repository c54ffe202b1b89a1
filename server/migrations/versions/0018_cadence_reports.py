"""cadence_reports, board_counts, trend_hours and the board's indexes (issue 17)

The cadence reports the profile schedules (cadence.yaml), one per tenant, kind and period. The
board's counts (board_counts) and its trend's hours (trend_hours) are counted here from the orders
there are, then moved by every order flush (server/db/board_counts.py). All three tenant-owned
under row-level security as migration 0006 set up. What moves with time comes from indexes:
orders by deadline (the breached count and the overdue list) and the running clocks by warning
instant with their deadline (docs/architecture.md#board).

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0018"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"
RUNNING = "stopped_at IS NULL AND running_since IS NOT NULL"
TABLES = ("cadence_reports", "board_counts", "trend_hours")


def upgrade() -> None:
    op.create_table(
        "cadence_reports",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("period", sa.String(length=40), nullable=False),
        sa.Column("starts_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("produced_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_cadence_reports_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cadence_reports")),
        sa.UniqueConstraint(
            "tenant_id", "kind", "period", name=op.f("uq_cadence_reports_tenant_id")
        ),
    )
    op.create_index(
        "ix_cadence_reports_kind", "cadence_reports", ["tenant_id", "kind", "id"], unique=False
    )
    counts = op.create_table(
        "board_counts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("grade", sa.String(length=40), nullable=False),
        sa.Column("tier", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("running", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_board_counts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_board_counts")),
        sa.UniqueConstraint(
            "tenant_id",
            "state",
            "org_path",
            "grade",
            "tier",
            "category",
            "running",
            name=op.f("uq_board_counts_tenant_id"),
        ),
    )
    _count_orders(counts)
    hours = op.create_table(
        "trend_hours",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("hour", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("registered", sa.Integer(), nullable=False),
        sa.Column("handled", sa.Integer(), nullable=False),
        sa.Column("closed", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_trend_hours_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trend_hours")),
        sa.UniqueConstraint("tenant_id", "org_path", "hour", name=op.f("uq_trend_hours_tenant_id")),
    )
    _count_hours(hours)
    op.create_index(
        "ix_work_orders_overdue",
        "work_orders",
        ["tenant_id", "next_deadline_at", "id"],
        postgresql_include=["org_path", "state"],
    )
    op.create_index(
        "ix_work_order_clocks_running",
        "work_order_clocks",
        ["tenant_id", "warn_at"],
        postgresql_where=sa.text(RUNNING),
        sqlite_where=sa.text(RUNNING),
        postgresql_include=["due_at", "work_order_id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT ON cadence_reports TO {ROLE}")
        for kept in ("board_counts", "trend_hours"):
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {kept} TO {ROLE}")
        for table in TABLES:
            op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
            op.execute(
                f"CREATE POLICY tenant_rows ON {table} USING (tenant_id = {CURRENT_TENANT})"
                f" WITH CHECK (tenant_id = {CURRENT_TENANT})"
            )
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


def _count_orders(counts: sa.Table) -> None:
    """The orders there are, counted at their unit and every unit above it, as
    server/db/board_counts.py keeps them from now on."""
    grouped = op.get_bind().execute(
        sa.text(
            "SELECT tenant_id, org_path, state, coalesce(grade, '') AS grade, tier, category,"
            " next_deadline_at IS NOT NULL AS running, count(*) AS n FROM work_orders"
            " GROUP BY tenant_id, org_path, state, coalesce(grade, ''), tier, category,"
            " next_deadline_at IS NOT NULL"
        )
    )
    rolled: dict[tuple[object, ...], int] = {}
    for tenant_id, path, state, grade, tier, category, running, n in grouped:
        parts = path.split("/")
        for depth in range(2, len(parts) + 1):
            key = (tenant_id, "/".join(parts[:depth]), state, grade, tier, category, bool(running))
            rolled[key] = rolled.get(key, 0) + n
    names = ("tenant_id", "org_path", "state", "grade", "tier", "category", "running")
    op.bulk_insert(counts, [dict(zip(names, key, strict=True), n=n) for key, n in rolled.items()])


def _count_hours(hours: sa.Table) -> None:
    """The orders' registered, handled and closed instants per UTC hour, at their unit and every
    unit above it, as server/db/board_counts.py keeps them from now on; read a page at a time (a
    cursor left open would block the indexes created next)."""
    moments = ("registered", "handled", "closed")
    page = sa.text(
        "SELECT id, tenant_id, org_path, registered_at, handled_at, closed_at FROM work_orders"
        " WHERE id > :last ORDER BY id LIMIT 20000"
    )
    counted: dict[tuple[object, ...], dict[str, int]] = {}
    last = 0
    while rows := op.get_bind().execute(page, {"last": last}).all():
        last = rows[-1][0]
        for _, tenant_id, path, *instants in rows:
            parts = path.split("/")
            for moment, at in zip(moments, instants, strict=True):
                if at is None:
                    continue
                hour = _hour(at)
                for depth in range(2, len(parts) + 1):
                    key = (tenant_id, "/".join(parts[:depth]), hour)
                    counted.setdefault(key, dict.fromkeys(moments, 0))[moment] += 1
    names = ("tenant_id", "org_path", "hour")
    op.bulk_insert(hours, [dict(zip(names, key, strict=True)) | n for key, n in counted.items()])


def _hour(at: datetime | str) -> datetime:
    if isinstance(at, str):  # SQLite hands instants back as text
        at = datetime.fromisoformat(at)
    at = (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(UTC)
    return at.replace(minute=0, second=0, microsecond=0)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY tenant_rows ON {table}")
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.drop_index("ix_work_order_clocks_running", table_name="work_order_clocks")
    op.drop_index("ix_work_orders_overdue", table_name="work_orders")
    op.drop_table("trend_hours")
    op.drop_table("board_counts")
    op.drop_index("ix_cadence_reports_kind", table_name="cadence_reports")
    op.drop_table("cadence_reports")
