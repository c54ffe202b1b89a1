"""order_departments: an order routed to a department of its dealer (issue 15)

A transfer (handling.yaml) routes an order to a department inside its dealer (sales, after-sales):
the order's org_path becomes the department unit's path, so a grant at the department covers it
through the one scope check there is (server/security/authz.py, services/queries.py `visible`),
and a grant at the dealer or above still does. org_unit_id stays the dealer, so KPIs, revisits and
statements keep counting the order for its dealer; `department` names the department's code, so
reading it needs no path parsing. Null: the order sits at its dealer. No new table, so no new
row-level-security policy: work_orders has its own since 0006.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
# Main holds 0014 → 0018 → 0015 → 0016 already: this follows them so the chain has one head.
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("work_orders", sa.Column("department", sa.String(length=40), nullable=True))


def downgrade() -> None:
    op.drop_column("work_orders", "department")
