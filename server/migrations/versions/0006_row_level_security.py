"""row-level security on PostgreSQL: a tenant's transactions see and write only its rows

Tenant sessions switch, per transaction, to the role complaintdesk_tenant and set
complaintdesk.tenant_id (server/db/session.py); the policies below then hold even for SQL that
bypasses the ORM's tenant filter. Platform work (onboarding, scans across tenants, migrations)
runs as the login role, which owns the tables and so is not subject to them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 05:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "complaintdesk_tenant"
CURRENT_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"
TENANT_TABLES = (
    "org_units",
    "users",
    "role_assignments",
    "customers",
    "customer_phones",
    "vehicles",
    "number_sequences",
    "work_orders",
    "work_order_events",
    "contact_attempts",
    "calendar_days",
    "calendar_years",
    "work_order_clocks",
    "sla_effects",
    "outbox",
    "customer_calls",
    "warning_slips",
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Roles belong to the server, not the database: another database may have made it already.
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') "
        f"THEN CREATE ROLE {ROLE} NOLOGIN; END IF; END $$"
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {ROLE}")
    for table in TENANT_TABLES:
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant_rows ON {table} USING (tenant_id = {CURRENT_TENANT}) "
            f"WITH CHECK (tenant_id = {CURRENT_TENANT})"
        )
    op.execute(
        f"GRANT SELECT, UPDATE ON tenants TO {ROLE}"
    )  # a tenant's own policy version moves with its calendar
    op.execute("ALTER TABLE tenants ENABLE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_rows ON tenants USING (id = {CURRENT_TENANT}) "
        f"WITH CHECK (id = {CURRENT_TENANT})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in (*TENANT_TABLES, "tenants"):
        op.execute(f"DROP POLICY tenant_rows ON {table}")
        op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {ROLE}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {ROLE}")
