"""cadence_reports and the board's indexes (issue 17)

The cadence reports the profile schedules (cadence.yaml), one per tenant, kind and period,
tenant-owned under row-level security as migration 0006 set up. The widened board counts from
indexes alone: the open orders of a scope with what they are counted by, the overdue ones by
deadline, the day ranges of registered, handled and closed orders with their org path, and the
running clocks by deadline with their warning instant (docs/architecture.md#board).

Revision ID: 0018
Revises: 0014
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

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
    op.drop_index("ix_work_orders_registered", table_name="work_orders")
    op.create_index(
        "ix_work_orders_registered",
        "work_orders",
        ["tenant_id", "registered_at"],
        postgresql_include=["org_path"],
    )
    for column in ("handled", "closed"):
        op.create_index(
            f"ix_work_orders_{column}",
            "work_orders",
            ["tenant_id", f"{column}_at"],
            postgresql_include=["org_path"],
        )
    op.create_index(
        "ix_work_orders_board",
        "work_orders",
        ["tenant_id", "state", "org_path"],
        postgresql_include=["grade", "tier", "category", "next_deadline_at"],
    )
    op.create_index(
        "ix_work_orders_overdue",
        "work_orders",
        ["tenant_id", "next_deadline_at", "id"],
        postgresql_include=["org_path", "state"],
    )
    op.create_index(
        "ix_work_order_clocks_running",
        "work_order_clocks",
        ["tenant_id", "due_at"],
        postgresql_where=sa.text(RUNNING),
        sqlite_where=sa.text(RUNNING),
        postgresql_include=["warn_at", "work_order_id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT ON cadence_reports TO {ROLE}")
        op.execute("ALTER TABLE cadence_reports ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON cadence_reports USING (tenant_id = {CURRENT_TENANT})"
            f" WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY tenant_rows ON cadence_reports")
        op.execute(f"REVOKE ALL ON cadence_reports FROM {ROLE}")
    op.drop_index("ix_work_order_clocks_running", table_name="work_order_clocks")
    for name in ("overdue", "board", "closed", "handled", "registered"):
        op.drop_index(f"ix_work_orders_{name}", table_name="work_orders")
    op.create_index("ix_work_orders_registered", "work_orders", ["tenant_id", "registered_at"])
    op.drop_index("ix_cadence_reports_kind", table_name="cadence_reports")
    op.drop_table("cadence_reports")
