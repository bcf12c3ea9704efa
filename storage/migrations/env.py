"""Alembic environment: the engine comes from storage.db, never from an ini file."""

from alembic import context
from sqlalchemy import text

from storage.models import Base

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Crawl workers starting together on a new database would both create the tables;
            # the second waits here, then finds the schema at head and does nothing.
            connection.execute(text("SELECT pg_advisory_xact_lock(726377)"))
        context.run_migrations()
    connection.commit()
