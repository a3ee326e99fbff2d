"""Alembic environment: always run from kaohe.store.database.upgrade, on the connection it passes."""

from alembic import context

from kaohe.store.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
