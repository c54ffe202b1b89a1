"""a clock ended by cancelling its order says so: neither met nor breached

Before, cancelling stopped every open clock as if it had been met: a contact clock whose customer
was never reached read MET. Clocks stopped before this revision keep reading as they did: which of
them a cancel ended is not recorded anywhere but in the history.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("work_order_clocks") as batch_op:
        column: sa.Column[bool] = sa.Column(
            "cancelled", sa.Boolean(), nullable=False, server_default=sa.false()
        )
        batch_op.add_column(column)


def downgrade() -> None:
    with op.batch_alter_table("work_order_clocks") as batch_op:
        batch_op.drop_column("cancelled")
