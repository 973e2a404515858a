"""Create or upgrade the database schema with Alembic (imported only by `ogi init`/tests)."""
from __future__ import annotations

from pathlib import Path


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Bring the database at `url` to the newest schema (all migration heads)."""
    from alembic import command

    from .db import get_engine

    engine = get_engine(url, create=True)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def current_heads(url: str) -> set[str]:
    from alembic.runtime.migration import MigrationContext

    from .db import get_engine

    with get_engine(url).connect() as conn:
        return set(MigrationContext.configure(conn).get_current_heads())
