"""frozen KPI statements: statements, their lines, order outcomes and adjustments

Finance needs statements that never change once issued. On PostgreSQL the tenant role may read
and insert these rows but neither update nor delete them, and row-level security keeps each
tenant to its own rows as migration 0006 does for the other tables. A later correction is an
adjustment row carried into a later statement, never an edit.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 16:58:19
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"
FROZEN_TABLES = ("kpi_statements", "kpi_statement_lines", "kpi_order_outcomes", "kpi_adjustments")


def upgrade() -> None:
    op.create_table(
        "kpi_statements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issued_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("profile_version", sa.String(length=40), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["users.id"],
            name=op.f("fk_kpi_statements_issued_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_kpi_statements_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_statements")),
        sa.UniqueConstraint(
            "tenant_id", "period", "kind", name=op.f("uq_kpi_statements_tenant_id")
        ),
    )
    op.create_table(
        "kpi_statement_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "statement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("population", sa.Integer(), nullable=False),
        sa.Column("timely", sa.Integer(), nullable=False),
        sa.Column("not_timely", sa.Integer(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
        sa.Column("adjusted_timely", sa.Integer(), nullable=False),
        sa.Column("adjusted_not_timely", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_kpi_statement_lines_org_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["kpi_statements.id"],
            name=op.f("fk_kpi_statement_lines_statement_id_kpi_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_kpi_statement_lines_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_statement_lines")),
        sa.UniqueConstraint(
            "tenant_id",
            "statement_id",
            "org_unit_id",
            "kpi",
            name=op.f("uq_kpi_statement_lines_tenant_id"),
        ),
    )
    with op.batch_alter_table("kpi_statement_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_statement_lines_scope",
            ["tenant_id", "statement_id", "org_path"],
            unique=False,
        )

    op.create_table(
        "kpi_adjustments",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "origin_statement_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "work_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("from_outcome", sa.String(length=20), nullable=False),
        sa.Column("to_outcome", sa.String(length=20), nullable=False),
        sa.Column("cause", sa.String(length=20), nullable=False),
        sa.Column("due_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_kpi_adjustments_org_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["origin_statement_id"],
            ["kpi_statements.id"],
            name=op.f("fk_kpi_adjustments_origin_statement_id_kpi_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_kpi_adjustments_tenant_id_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_kpi_adjustments_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_adjustments")),
    )
    with op.batch_alter_table("kpi_adjustments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_adjustments_origin",
            ["tenant_id", "origin_statement_id", "work_order_id"],
            unique=False,
        )
        batch_op.create_index("ix_kpi_adjustments_period", ["tenant_id", "period"], unique=False)

    op.create_table(
        "kpi_order_outcomes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "statement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "work_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("due_at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("at", server.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_unit_id"],
            ["org_units.id"],
            name=op.f("fk_kpi_order_outcomes_org_unit_id_org_units"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["kpi_statements.id"],
            name=op.f("fk_kpi_order_outcomes_statement_id_kpi_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.id"],
            name=op.f("fk_kpi_order_outcomes_tenant_id_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_kpi_order_outcomes_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_order_outcomes")),
        sa.UniqueConstraint(
            "tenant_id",
            "statement_id",
            "work_order_id",
            "kpi",
            name=op.f("uq_kpi_order_outcomes_tenant_id"),
        ),
    )
    with op.batch_alter_table("kpi_order_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_order_outcomes_order",
            ["tenant_id", "work_order_id"],
            unique=False,
        )
    _freeze()


def _freeze() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in FROZEN_TABLES:
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON {table} USING (tenant_id = {CURRENT_TENANT})"
            f" WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
    # 0006 granted the sequences that existed then; these tables' ids come from new ones.
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FROZEN_TABLES:
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    with op.batch_alter_table("kpi_order_outcomes", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_order_outcomes_order")

    op.drop_table("kpi_order_outcomes")
    with op.batch_alter_table("kpi_adjustments", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_adjustments_period")
        batch_op.drop_index("ix_kpi_adjustments_origin")

    op.drop_table("kpi_adjustments")
    with op.batch_alter_table("kpi_statement_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_statement_lines_scope")

    op.drop_table("kpi_statement_lines")
    op.drop_table("kpi_statements")
