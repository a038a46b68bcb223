"""Alembic environment for the smilescope store.

Run programmatically by :class:`smilescope.store.Store`, which passes its open connection in
``config.attributes["connection"]``. Offline mode (``--sql``) writes the SQL for the dialect of
``sqlalchemy.url`` without a server.
"""

from alembic import context
from sqlalchemy import create_engine

config = context.config


def _run(connection) -> None:
    # SQLite cannot alter most columns in place; batch mode copies the table instead.
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    _run(config.attributes["connection"])
else:
    with create_engine(config.get_main_option("sqlalchemy.url")).begin() as conn:
        _run(conn)
