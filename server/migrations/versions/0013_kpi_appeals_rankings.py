"""KPI appeals and their decisions, quarterly deliveries, and the quarter's ranking lines

Appeals, decisions and ranking lines are frozen like the statements of migration 0010: the tenant
role may read and insert them but neither update nor delete them (a decision is a row of its own,
an accepted appeal an adjustment in a later statement). Deliveries are imported again to correct
them until the quarter's finance statement copies the figure it ranked by into its lines, so the
tenant role may update those. Row-level security as migration 0006 has it.

Numbered 0013 beside other work adding 0011 and 0012: rebase `down_revision` onto the last of
those when merging.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"
FROZEN_TABLES = ("kpi_appeals", "kpi_appeal_decisions", "kpi_ranking_lines")
CORRECTED_TABLES = ("kpi_deliveries",)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = server.db.types.UtcDateTime(timezone=True)


def _key(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "kpi_appeals",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("statement_id", BIG_ID, nullable=False),
        sa.Column("work_order_id", BIG_ID, nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("kpi", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("filed_by_id", sa.Integer(), nullable=False),
        sa.Column("filed_at", INSTANT, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _key("kpi_appeals", "statement_id", "kpi_statements"),
        _key("kpi_appeals", "work_order_id", "work_orders"),
        _key("kpi_appeals", "org_unit_id", "org_units"),
        _key("kpi_appeals", "filed_by_id", "users"),
        _key("kpi_appeals", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_appeals")),
        sa.UniqueConstraint(
            "tenant_id",
            "statement_id",
            "work_order_id",
            "kpi",
            name=op.f("uq_kpi_appeals_tenant_id"),
        ),
    )
    with op.batch_alter_table("kpi_appeals", schema=None) as batch_op:
        batch_op.create_index("ix_kpi_appeals_scope", ["tenant_id", "org_path"], unique=False)

    op.create_table(
        "kpi_appeal_decisions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("appeal_id", BIG_ID, nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=False),
        sa.Column("decided_at", INSTANT, nullable=False),
        sa.Column("adjustment_id", BIG_ID, nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _key("kpi_appeal_decisions", "appeal_id", "kpi_appeals"),
        _key("kpi_appeal_decisions", "decided_by_id", "users"),
        _key("kpi_appeal_decisions", "adjustment_id", "kpi_adjustments"),
        _key("kpi_appeal_decisions", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_appeal_decisions")),
        sa.UniqueConstraint(
            "tenant_id", "appeal_id", name=op.f("uq_kpi_appeal_decisions_tenant_id")
        ),
    )

    op.create_table(
        "kpi_deliveries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("imported_at", INSTANT, nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _key("kpi_deliveries", "org_unit_id", "org_units"),
        _key("kpi_deliveries", "imported_by_id", "users"),
        _key("kpi_deliveries", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_deliveries")),
        sa.UniqueConstraint(
            "tenant_id", "quarter", "org_unit_id", name=op.f("uq_kpi_deliveries_tenant_id")
        ),
    )

    op.create_table(
        "kpi_ranking_lines",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("statement_id", BIG_ID, nullable=False),
        sa.Column("org_unit_id", sa.Integer(), nullable=False),
        sa.Column("org_path", sa.String(length=400), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.String(length=12), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("reward", sa.Integer(), nullable=False),
        sa.Column("penalty", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        _key("kpi_ranking_lines", "statement_id", "kpi_statements"),
        _key("kpi_ranking_lines", "org_unit_id", "org_units"),
        sa.ForeignKeyConstraint(
            ["region_id"], ["org_units.id"], name=op.f("fk_kpi_ranking_lines_region_id_org_units")
        ),
        _key("kpi_ranking_lines", "tenant_id", "tenants"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kpi_ranking_lines")),
        sa.UniqueConstraint(
            "tenant_id", "statement_id", "org_unit_id", name=op.f("uq_kpi_ranking_lines_tenant_id")
        ),
    )
    with op.batch_alter_table("kpi_ranking_lines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_kpi_ranking_lines_scope", ["tenant_id", "statement_id", "org_path"], unique=False
        )
    _secure()


def _secure() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in FROZEN_TABLES + CORRECTED_TABLES:
        grant = "SELECT, INSERT" if table in FROZEN_TABLES else "SELECT, INSERT, UPDATE"
        op.execute(f"GRANT {grant} ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON {table} USING (tenant_id = {CURRENT_TENANT})"
            f" WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in FROZEN_TABLES + CORRECTED_TABLES:
            op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    with op.batch_alter_table("kpi_ranking_lines", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_ranking_lines_scope")
    op.drop_table("kpi_ranking_lines")
    op.drop_table("kpi_deliveries")
    op.drop_table("kpi_appeal_decisions")
    with op.batch_alter_table("kpi_appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_kpi_appeals_scope")
    op.drop_table("kpi_appeals")
