"""the deadline scan works from the clocks' next checks; an order keeps its next deadline

The scan used to move work_orders.next_deadline_at on for every order it looked at: a new version
of the wide order row and an entry in each of its indexes, two thirds of a tick's time. It now
reads and moves only work_order_clocks.next_check_at (indexed here, partial). The order's column
becomes what the escalations board sorts by, the earliest deadline of its running clocks, and is
recomputed for the orders already stored.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:40:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECKED = sa.text("next_check_at IS NOT NULL")
MISSING = sa.text("missing_year IS NOT NULL")

CLOCK_COLUMNS = (
    "tenant_id",
    "work_order_id",
    "due_at",
    "running_since",
    "stopped_at",
    "next_check_at",
)
clocks = sa.table("work_order_clocks", *(sa.column(name) for name in CLOCK_COLUMNS))
orders = sa.table(
    "work_orders", sa.column("tenant_id"), sa.column("id"), sa.column("next_deadline_at")
)


def upgrade() -> None:
    op.drop_index("ix_work_orders_next_deadline_at", table_name="work_orders")
    op.drop_index("ix_work_order_clocks_missing", table_name="work_order_clocks")
    op.create_index(
        "ix_work_order_clocks_missing",
        "work_order_clocks",
        ["tenant_id", "missing_year"],
        postgresql_where=MISSING,
        sqlite_where=MISSING,
    )
    op.create_index(
        "ix_work_order_clocks_next_check",
        "work_order_clocks",
        ["next_check_at", "id"],
        postgresql_where=CHECKED,
        sqlite_where=CHECKED,
    )
    running = clocks.c.running_since.is_not(None) & clocks.c.stopped_at.is_(None)
    _set_next_deadline(sa.func.min(clocks.c.due_at), running)


def _set_next_deadline(earliest: sa.ColumnElement[Any], among: sa.ColumnElement[bool]) -> None:
    # tenant_id too: it leads the clocks' unique index, without which each order scans every clock.
    mine = (clocks.c.tenant_id == orders.c.tenant_id) & (clocks.c.work_order_id == orders.c.id)
    value = sa.select(earliest).where(mine, among).scalar_subquery()
    op.execute(
        orders.update()
        .where(orders.c.next_deadline_at.is_distinct_from(value))
        .values(next_deadline_at=value)
    )


def downgrade() -> None:
    _set_next_deadline(sa.func.min(clocks.c.next_check_at), sa.true())
    op.drop_index("ix_work_order_clocks_next_check", table_name="work_order_clocks")
    op.drop_index("ix_work_order_clocks_missing", table_name="work_order_clocks")
    op.create_index(
        "ix_work_order_clocks_missing", "work_order_clocks", ["tenant_id", "missing_year"]
    )
    op.create_index("ix_work_orders_next_deadline_at", "work_orders", ["next_deadline_at"])
