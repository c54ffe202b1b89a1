"""revisits: the callback after handling, its attempts (issue 16)

A revisit is created by a workflow step as the profile's revisits.yaml says, once per order and
step (unique on the order, the transition and the order version it produced). Its deadline is a
work_order_clocks row, so the deadline scan needs nothing new. On PostgreSQL both tables are
tenant-owned under row-level security, as migration 0006 set up for the others.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"
TABLES = ("revisits", "revisit_attempts")


def upgrade() -> None:
    op.create_table(
        "revisits",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "work_order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column(
            "org_path",
            sa.String(length=400).with_variant(sa.String(length=400, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("trigger", sa.String(length=40), nullable=False),
        sa.Column("order_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("created_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("due_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("failed_attempts", sa.Integer(), nullable=False),
        sa.Column("finished_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("finished_by_id", sa.Integer(), nullable=True),
        sa.Column("result", sa.String(length=40), nullable=True),
        sa.Column("successful", sa.Boolean(), nullable=True),
        sa.Column("words", sa.Text(), nullable=True),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column(
            "follow_up_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_revisits_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["finished_by_id"], ["users.id"], name=op.f("fk_revisits_finished_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_order_id"],
            ["work_orders.id"],
            name=op.f("fk_revisits_follow_up_order_id_work_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["org_unit_id"], ["org_units.id"], name=op.f("fk_revisits_org_unit_id_org_units")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_revisits_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_revisits_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisits")),
        sa.UniqueConstraint(
            "tenant_id",
            "work_order_id",
            "trigger",
            "order_version",
            name=op.f("uq_revisits_tenant_id"),
        ),
    )
    op.create_index(
        "ix_revisits_due", "revisits", ["tenant_id", "state", "due_at", "id"], unique=False
    )
    op.create_index("ix_revisits_order", "revisits", ["tenant_id", "work_order_id"], unique=False)
    op.create_index("ix_revisits_scope", "revisits", ["tenant_id", "org_path", "id"], unique=False)
    op.create_table(
        "revisit_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "revisit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("script", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("call_back_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_revisit_attempts_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revisit_id"], ["revisits.id"], name=op.f("fk_revisit_attempts_revisit_id_revisits")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_revisit_attempts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_revisit_attempts")),
    )
    op.create_index(
        "ix_revisit_attempts_revisit",
        "revisit_attempts",
        ["tenant_id", "revisit_id", "id"],
        unique=False,
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
    op.drop_index("ix_revisit_attempts_revisit", table_name="revisit_attempts")
    op.drop_table("revisit_attempts")
    op.drop_index("ix_revisits_scope", table_name="revisits")
    op.drop_index("ix_revisits_order", table_name="revisits")
    op.drop_index("ix_revisits_due", table_name="revisits")
    op.drop_table("revisits")
