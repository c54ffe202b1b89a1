"""profile_versions: every profile a tenant has had, kept (issue 14)

Orders keep the version they were registered under (work_orders.profile_version names it) until
an admin migrates them. Each existing tenant's profile in force becomes its version 1. Tenant-owned
under row-level security as migration 0006 set up; the tenant role may read them only: versions are
written by the platform session that imports a profile.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 10:00:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import server.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"


def upgrade() -> None:
    versions = op.create_table(
        "profile_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("imported_at", server.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["imported_by_id"], ["users.id"], name=op.f("fk_profile_versions_imported_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_profile_versions_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_versions")),
        sa.UniqueConstraint("tenant_id", "version", name=op.f("uq_profile_versions_tenant_id")),
    )
    tenants = sa.table(
        "tenants",
        sa.column("id", sa.Integer()),
        sa.column("profile_name", sa.String()),
        sa.column("profile_version", sa.String()),
        sa.column("profile_documents", sa.JSON()),
    )
    now = datetime.now(UTC)
    rows = op.get_bind().execute(sa.select(tenants)).all()
    op.bulk_insert(
        versions,
        [
            {
                "tenant_id": row.id,
                "number": 1,
                "name": row.profile_name,
                "version": row.profile_version,
                "documents": row.profile_documents,
                "mapping": {},
                "imported_at": now,
                "imported_by_id": None,
            }
            for row in rows
        ],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"GRANT SELECT ON profile_versions TO {ROLE}")
        op.execute("ALTER TABLE profile_versions ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON profile_versions USING (tenant_id = {CURRENT_TENANT})"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP POLICY tenant_rows ON profile_versions")
        op.execute(f"REVOKE ALL ON profile_versions FROM {ROLE}")
    op.drop_table("profile_versions")
