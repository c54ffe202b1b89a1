"""Alembic environment. Migrations always run on a connection handed in by server/db/migrate.py,
so the same code serves the CLI, the tests and both databases."""

from alembic import context

from server.db.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
