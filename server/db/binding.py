"""PostgreSQL's tenant binding: who may touch which rows, as SQL the migrations run.

Every transaction of the application binds itself first, to one tenant or to the platform, by
calling a SECURITY DEFINER function; the binding is sealed with a key only the migration owner can
read and with the transaction it was made in, so a session can neither forge nor switch it, and a
statement of its own cannot rebind the transaction. Row-level policies check the seal, not a
setting a session could change. docs/database-roles.md describes the roles and how a migration adds
a tenant table (`bind_table`).
"""

from __future__ import annotations

from collections.abc import Iterable

TENANT_ROLE = "complaintdesk_tenant"  # what a tenant's transaction runs as
LOGIN_ROLE = "complaintdesk_app"  # what the application logs in as; it can only become the above
# The record of what happened: the tenant role may add to it and read it, never change it.
APPEND_ONLY = frozenset(
    {
        "work_order_events",
        "contact_attempts",
        "customer_calls",
        "sla_effects",
        "directory_events",
        "customer_access",
        "kpi_statements",
        "kpi_statement_lines",
        "kpi_order_outcomes",
        "kpi_adjustments",
    }
)
# The outbox: the tenant role updates a message while it is owed (attempts, outcome); once its
# delivery is recorded the row is history. Only the platform's retention purge deletes it.
OUTBOX = "outbox"

ENTER = "SELECT complaintdesk_enter(:tenant), set_config('role', :role, true)"
ENTER_PLATFORM = "SELECT complaintdesk_enter_platform()"
BUMP_POLICY_VERSION = "SELECT complaintdesk_bump_policy_version()"
LOCK_TENANT = "SELECT complaintdesk_lock_tenant()"  # the bound tenant's row, FOR UPDATE

CURRENT_TENANT = "(SELECT complaintdesk_tenant())"
PLATFORM = "(SELECT complaintdesk_platform())"
WRITES = ("UPDATE", "DELETE")

# The tables with a tenant_id column, read from the catalogue when the migration runs.
TENANT_TABLES_QUERY = (
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped "
    "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') ORDER BY c.relname"
)
TENANT_GRANTS_QUERY = (
    "SELECT privilege_type FROM information_schema.role_table_grants "
    "WHERE grantee = :role AND table_schema = 'public' AND table_name = :table"
)
POLICIES_QUERY = "SELECT policyname FROM pg_policies WHERE schemaname = 'public' AND tablename = :t"


def bind_table(
    table: str,
    tenant_grants: Iterable[str] = ("SELECT", "INSERT", "UPDATE", "DELETE"),
    *,
    existing_policies: Iterable[str] = (),
) -> list[str]:
    """The statements that put one tenant table under the binding: the tenant role gets
    `tenant_grants` on the bound tenant's rows (never UPDATE or DELETE on an append-only table),
    the login role everything but rewriting history, on every row, in platform transactions."""
    append_only = table in APPEND_ONLY
    grants = [g for g in tenant_grants if not (append_only and g in WRITES)]
    platform = ["SELECT", "INSERT"] if append_only else ["SELECT", "INSERT", "UPDATE", "DELETE"]
    if table == OUTBOX:
        grants = [g for g in grants if g != "DELETE"]
        platform = ["SELECT", "INSERT", "DELETE"]
    statements = [f"DROP POLICY IF EXISTS {name} ON {table}" for name in existing_policies]
    statements += [
        f"REVOKE ALL ON {table} FROM {TENANT_ROLE}, {LOGIN_ROLE}",
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY tenant_rows ON {table} TO {TENANT_ROLE} "
        f"USING (tenant_id = {CURRENT_TENANT}) WITH CHECK (tenant_id = {CURRENT_TENANT})",
        f"CREATE POLICY platform_rows ON {table} TO {LOGIN_ROLE} "
        f"USING ({PLATFORM}) WITH CHECK ({PLATFORM})",
        f"GRANT {', '.join(platform)} ON {table} TO {LOGIN_ROLE}",
    ]
    if grants:
        statements.append(f"GRANT {', '.join(sorted(set(grants)))} ON {table} TO {TENANT_ROLE}")
    if table == OUTBOX:
        statements.append(
            f"CREATE POLICY unsent_only ON {table} AS RESTRICTIVE FOR UPDATE TO {TENANT_ROLE} "
            "USING (delivered_at IS NULL) WITH CHECK (true)"
        )
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {TENANT_ROLE}")
    statements.append(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {LOGIN_ROLE}")
    return statements
