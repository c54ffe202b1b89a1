"""written_reports and order_facts: reports owed from registration, facts and outcomes (issue 15)

A written report is created at registration when the profile's written_reports.yaml says so, once
per order and report (unique). A fact or an outcome is recorded on an order during handling
(conditional_deadlines.yaml, outcomes.yaml). On PostgreSQL both tables are tenant-owned under
row-level security, as migration 0006 set up for the others.

Revision ID: 0016
Revises: 0015 (chained after main's 0018 and 0015 when merged)
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"
TABLES = ("written_reports", "order_facts")
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "written_reports",
        sa.Column("id", BIG, nullable=False),
        sa.Column("work_order_id", BIG, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("created_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("escalated_to", sa.String(length=40), nullable=False),
        sa.Column("submitted_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_written_reports_submitted_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_written_reports_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_written_reports_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_written_reports")),
        sa.UniqueConstraint(
            "tenant_id", "work_order_id", "code", name=op.f("uq_written_reports_tenant_id")
        ),
    )
    op.create_table(
        "order_facts",
        sa.Column("id", BIG, nullable=False),
        sa.Column("work_order_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("recorded_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_order_facts_recorded_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_order_facts_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_order_facts_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_facts")),
        sa.UniqueConstraint(
            "tenant_id", "work_order_id", "kind", "code", name=op.f("uq_order_facts_tenant_id")
        ),
    )
    op.create_index(
        "ix_order_facts_order", "order_facts", ["tenant_id", "work_order_id"], unique=False
    )
    _secure()


def _secure() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON {table} USING (tenant_id = {CURRENT_TENANT})"
            f" WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
    # 0006 granted the sequences that existed then; these tables' ids come from new ones.
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP POLICY tenant_rows ON {table}")
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.drop_index("ix_order_facts_order", table_name="order_facts")
    op.drop_table("order_facts")
    op.drop_table("written_reports")
