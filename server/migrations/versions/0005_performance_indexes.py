"""indexes found missing by the benchmarks

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 04:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The escalations board's partial indexes (server/db/models/orders.py): name suffix, columns after
# tenant_id.
ESCALATION_INDEXES = {"age": ["id"], "breach": ["next_deadline_at", "id"]}


def upgrade() -> None:
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.create_index("ix_vehicles_customer", ["tenant_id", "customer_id"], unique=False)
    if op.get_context().dialect.name == "postgresql":
        # The scope filter selects a subtree as a byte range of org_path; "C" orders by bytes in
        # every locale (en_US collation ignores the "/" on its first pass). Rebuilds
        # ix_work_orders_scope.
        op.alter_column(
            "work_orders", "org_path", type_=sa.String(400, collation="C"), existing_nullable=False
        )
        op.execute(
            "ANALYZE work_orders"
        )  # the change drops the column's statistics: plans need them
    # After the collation change, which rebuilds indexes holding org_path. Escalated orders only.
    escalated = sa.text("escalated")
    for name, columns in ESCALATION_INDEXES.items():
        op.create_index(
            f"ix_work_orders_escalations_{name}",
            "work_orders",
            ["tenant_id", *columns],
            postgresql_where=escalated,
            sqlite_where=escalated,
            postgresql_include=["org_path"],
        )


def downgrade() -> None:
    for name in ESCALATION_INDEXES:
        op.drop_index(f"ix_work_orders_escalations_{name}", table_name="work_orders")
    if op.get_context().dialect.name == "postgresql":
        op.alter_column("work_orders", "org_path", type_=sa.String(400), existing_nullable=False)
    with op.batch_alter_table("vehicles", schema=None) as batch_op:
        batch_op.drop_index("ix_vehicles_customer")
