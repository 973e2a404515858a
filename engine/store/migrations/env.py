"""Alembic environment: the connection comes from ogi's own engine (see engine/schema.py)."""
from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

from ogi.engine.store import tables as models  # noqa: F401 - registers the tables on SQLModel.metadata
from ogi.engine.legal import challenges  # noqa: F401 - legal_challenge (0003_legal)
from ogi.engine.notify import warnings as _warnings  # noqa: F401 - warning_outbox, warning_delivery (0002_warnings)

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
