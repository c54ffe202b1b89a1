"""outbox dead letters: a message whose last attempt failed is marked dead, kept and listed

outbox.dead_at is set when the retry policy's last attempt fails; delivery skips dead messages (the
pending index now leads with delivered_at and dead_at, both NULL for what is owed) and a partial
index lists a tenant's dead ones for its admin. The table keeps its row-level security of 0006:
its policy covers every row and the tenant role's grant covers every column, new ones included.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEAD = sa.text("dead_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dead_at", server.db.types.UtcDateTime(timezone=True)))
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_pending", ["delivered_at", "dead_at", "next_attempt_at"])
    op.create_index(
        "ix_outbox_dead", "outbox", ["tenant_id", "id"], postgresql_where=DEAD, sqlite_where=DEAD
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_dead", table_name="outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_pending")
        batch_op.create_index("ix_outbox_pending", ["delivered_at", "next_attempt_at"])
        batch_op.drop_column("dead_at")
