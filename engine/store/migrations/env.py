"""Alembic environment: the connection comes from ogi's own engine (see engine/store/schema.py);
the target metadata is every table, all defined in engine/store/tables.py."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ogi.engine.store import tables  # noqa: F401 - registers every table on SQLModel.metadata

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        from ogi.engine.store.db import get_engine

        with get_engine(context.config.get_main_option("sqlalchemy.url"), create=True).connect() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode copies the table
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported")
run_migrations_online()
