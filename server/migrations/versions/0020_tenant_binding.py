"""tenant binding: history the database refuses to rewrite, a tenant a session cannot switch

PostgreSQL only. Creates the login role complaintdesk_app (it can only become complaintdesk_tenant),
the sealed binding (server/db/binding.py) and, for every table that has a tenant_id column when this
runs, the policies that check the binding: the tenant role may only add to and read the history, and
may no longer change its tenant row (a runtime's version moves through one function). Tables added
later call binding.bind_table (docs/database-roles.md).

Revision ID: 0020
Revises: 0014
Create Date: 2026-12-05 07:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.db import binding

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT, LOGIN = binding.TENANT_ROLE, binding.LOGIN_ROLE
DEFINER = "SECURITY DEFINER SET search_path = pg_catalog, public"
OLD_TENANT = "nullif(current_setting('complaintdesk.tenant_id', true), '')::integer"

# The seal of `scope` ('t<id>' or 'platform') for this backend and this transaction, with the key
# `k.secret`: forged or copied from another transaction, a binding does not match it.
SEAL = (
    "encode(sha256(convert_to(k.secret || encode(sha256(convert_to(k.secret || scope || ':' "
    "|| pg_backend_pid() || ':' || extract(epoch FROM transaction_timestamp()), 'UTF8')), "
    "'hex'), 'UTF8')), 'hex')"
)


def _reader(name: str, returns: str, wanted: str, answer: str, none: str) -> str:
    """A function of the transaction's binding, checked against its seal in one statement: the
    policies call one once for each table a statement reads, so it does the least it can."""
    return f"""CREATE FUNCTION {name}() RETURNS {returns} LANGUAGE plpgsql STABLE {DEFINER}
    AS $$ DECLARE
        given text := coalesce(current_setting('complaintdesk.binding', true), '');
        scope text := split_part(given, '/', 1);
        sealed text;
    BEGIN
        IF NOT ({wanted}) THEN
            RETURN {none};
        END IF;
        SELECT {SEAL} INTO sealed FROM complaintdesk_binding_key k;
        IF given = scope || '/' || sealed THEN
            RETURN {answer};
        END IF;
        RETURN {none};
    END $$"""


FUNCTIONS = (
    "CREATE TABLE complaintdesk_binding_key (secret text NOT NULL)",
    "INSERT INTO complaintdesk_binding_key "
    "SELECT gen_random_uuid()::text || gen_random_uuid()::text || gen_random_uuid()::text",
    _reader("complaintdesk_bound", "text", "scope <> ''", "scope", "NULL"),
    _reader(
        "complaintdesk_tenant", "integer", "scope LIKE 't%'", "substr(scope, 2)::integer", "NULL"
    ),
    _reader("complaintdesk_platform", "boolean", "scope = 'platform'", "true", "false"),
    f"""CREATE FUNCTION complaintdesk_bind(scope text) RETURNS void LANGUAGE plpgsql {DEFINER}
    AS $$ DECLARE
        bound text := complaintdesk_bound();
        sealed text;
    BEGIN
        IF bound IS NOT NULL AND bound <> scope THEN
            RAISE EXCEPTION 'complaintdesk: this transaction is bound to another scope'
                USING ERRCODE = '42501';
        END IF;
        SELECT {SEAL} INTO sealed FROM complaintdesk_binding_key k;
        PERFORM set_config('complaintdesk.binding', scope || '/' || sealed, true);
    END $$""",
    f"""CREATE FUNCTION complaintdesk_enter(tenant integer) RETURNS void LANGUAGE sql {DEFINER}
    AS $$ SELECT complaintdesk_bind('t' || tenant) $$""",
    f"""CREATE FUNCTION complaintdesk_enter_platform() RETURNS void LANGUAGE sql {DEFINER}
    AS $$ SELECT complaintdesk_bind('platform') $$""",
    f"""CREATE FUNCTION complaintdesk_bump_policy_version() RETURNS void LANGUAGE sql {DEFINER}
    AS $$ UPDATE tenants SET policy_version = policy_version + 1
          WHERE id = complaintdesk_tenant() $$""",
    # Locking a row takes UPDATE on it, which the tenant role no longer holds on its tenant row.
    f"""CREATE FUNCTION complaintdesk_lock_tenant() RETURNS timestamptz LANGUAGE sql {DEFINER}
    AS $$ SELECT created_at FROM tenants WHERE id = complaintdesk_tenant() FOR UPDATE $$""",
)
CALLABLE = {
    "complaintdesk_enter(integer)": (LOGIN, TENANT),
    "complaintdesk_enter_platform()": (LOGIN, TENANT),
    "complaintdesk_tenant()": (LOGIN, TENANT),
    "complaintdesk_platform()": (LOGIN, TENANT),
    "complaintdesk_bump_policy_version()": (TENANT,),
    "complaintdesk_lock_tenant()": (TENANT,),
}
PRIVATE = ("complaintdesk_bound()", "complaintdesk_bind(text)")


def _role(name: str, options: str) -> None:
    # Roles belong to the server, not the database: another database may have made it already,
    # perhaps at this very moment.
    op.execute(
        f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') "
        f"THEN CREATE ROLE {name} {options}; END IF; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    _role(TENANT, "NOLOGIN")
    _role(LOGIN, "LOGIN NOINHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS")
    op.execute(f"GRANT {TENANT} TO {LOGIN}")
    op.execute(f"GRANT USAGE ON SCHEMA public TO {LOGIN}")
    for statement in FUNCTIONS:
        op.execute(statement)
    for function, roles in CALLABLE.items():
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {', '.join(roles)}")
    for function in PRIVATE:
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    for table in connection.execute(sa.text(binding.TENANT_TABLES_QUERY)).scalars().all():
        grants = connection.execute(
            sa.text(binding.TENANT_GRANTS_QUERY), {"role": TENANT, "table": table}
        )
        policies = connection.execute(sa.text(binding.POLICIES_QUERY), {"t": table})
        for statement in binding.bind_table(
            table, grants.scalars().all(), existing_policies=policies.scalars().all()
        ):
            op.execute(statement)
    _tenants()
    # The platform's own tables (scheduler ticks, ...): the login role works them, the tenant role
    # never sees them; the binding key stays the owner's.
    others = connection.execute(
        sa.text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN "
            "('tenants', 'alembic_version', 'complaintdesk_binding_key')"
        )
    )
    tenant_tables = set(connection.execute(sa.text(binding.TENANT_TABLES_QUERY)).scalars())
    for table in others.scalars().all():
        if table not in tenant_tables:
            op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {LOGIN}")
    op.execute(f"GRANT SELECT ON alembic_version TO {LOGIN}")


def _tenants() -> None:
    """A tenant reads its own row and changes none of it; the platform keeps them all."""
    op.execute("DROP POLICY IF EXISTS tenant_rows ON tenants")
    op.execute(f"REVOKE ALL ON tenants FROM {TENANT}, {LOGIN}")
    op.execute(f"GRANT SELECT ON tenants TO {TENANT}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON tenants TO {LOGIN}")
    op.execute(
        f"CREATE POLICY tenant_rows ON tenants TO {TENANT} USING (id = {binding.CURRENT_TENANT})"
    )
    op.execute(
        f"CREATE POLICY platform_rows ON tenants TO {LOGIN} "
        f"USING ({binding.PLATFORM}) WITH CHECK ({binding.PLATFORM})"
    )


def downgrade() -> None:
    """Back to migration 0006's policies on the setting (every table read from the catalogue)."""
    connection = op.get_bind()
    if connection.dialect.name != "postgresql":
        return
    tables = connection.execute(sa.text(binding.TENANT_TABLES_QUERY)).scalars().all()
    for table in (*tables, "tenants"):
        key = "id" if table == "tenants" else "tenant_id"
        for name in connection.execute(sa.text(binding.POLICIES_QUERY), {"t": table}).scalars():
            op.execute(f"DROP POLICY {name} ON {table}")
        op.execute(
            f"CREATE POLICY tenant_rows ON {table} USING ({key} = {OLD_TENANT}) "
            f"WITH CHECK ({key} = {OLD_TENANT})"
        )
        op.execute(f"REVOKE ALL ON {table} FROM {LOGIN}")
    op.execute(f"GRANT UPDATE ON tenants TO {TENANT}")
    for function in (*CALLABLE, *PRIVATE):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("DROP TABLE complaintdesk_binding_key")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {LOGIN}")
    op.execute(f"REVOKE ALL ON alembic_version FROM {LOGIN}")
    op.execute(f"REVOKE USAGE ON SCHEMA public FROM {LOGIN}")
