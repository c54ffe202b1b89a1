"""Alembic environment. Migrations always run on a connection handed in by server/db/migrate.py,
so the same code serves the CLI, the tests and both databases."""

from alembic import context

from server.db.models import Base

connection = context.config.attributes["connection"]
# The tenant binding's key is the owner's, outside the models (migration 0020): autogenerate must
# not propose dropping it.
UNMODELLED = {"complaintdesk_binding_key"}
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
    include_object=lambda _obj, name, kind, _reflected, _other: (
        not (kind == "table" and name in UNMODELLED)
    ),
)
with context.begin_transaction():
    context.run_migrations()
