"""tenants can be deactivated; the directory's changes are audited

A deactivated tenant keeps its data but its tokens are refused (the caller's one read joins the
tenant and asks for an active one). `directory_events` is the audit history of the org tree, the
users and their grants: appended in the transaction of the change and, on PostgreSQL, never updated
or deleted by the tenant role.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"


def upgrade() -> None:
    with op.batch_alter_table("tenants") as batch_op:
        column: sa.Column[bool] = sa.Column(
            "active", sa.Boolean(), nullable=False, server_default=sa.true()
        )
        batch_op.add_column(column)
    op.create_table(
        "directory_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("target", sa.String(length=400), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_directory_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_directory_events_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_events")),
    )
    with op.batch_alter_table("directory_events") as batch_op:
        batch_op.create_index("ix_directory_events_tenant", ["tenant_id", "id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT, INSERT ON directory_events TO {ROLE}")
        op.execute("ALTER TABLE directory_events ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON directory_events USING (tenant_id = {CURRENT_TENANT})"
            f" WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
        op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"REVOKE ALL ON directory_events FROM {ROLE}")
    with op.batch_alter_table("directory_events") as batch_op:
        batch_op.drop_index("ix_directory_events_tenant")
    op.drop_table("directory_events")
    with op.batch_alter_table("tenants") as batch_op:
        batch_op.drop_column("active")
