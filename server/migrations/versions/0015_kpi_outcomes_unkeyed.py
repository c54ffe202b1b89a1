"""kpi_order_outcomes without foreign keys, and without the index by order

Issuing a month writes one row per population order and KPI (2.4 million at 1,000,000 orders) by
INSERT ... SELECT, copying ids from rows read in the same transaction; the four foreign-key checks
were most of that insert's time (bench/README.md, "Monthly reconciliation"). An issued statement
is frozen and immutable: its outcomes are never updated or deleted (migration 0010), so a key
that was valid when the row was written stays so, and the checks only cost. The statement row
itself keeps its keys, and so do its lines and adjustments. Nothing looks an outcome up by order
alone (appeals and re-runs go through the statement: the unique constraint leads with it), so the
index by (tenant_id, work_order_id) only cost its upkeep. Row-level security and the grants of
migration 0010 are unchanged.

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "kpi_order_outcomes"
KEYS = (
    ("org_unit_id", "org_units"),
    ("statement_id", "kpi_statements"),
    ("tenant_id", "tenants"),
    ("work_order_id", "work_orders"),
)
INDEX = "ix_kpi_order_outcomes_order"


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        for column, referred in KEYS:
            batch_op.drop_constraint(f"fk_{TABLE}_{column}_{referred}", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        for column, referred in KEYS:
            batch_op.create_foreign_key(
                f"fk_{TABLE}_{column}_{referred}", referred, [column], ["id"]
            )
        batch_op.create_index(INDEX, ["tenant_id", "work_order_id"], unique=False)
