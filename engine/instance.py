"""Setting up an instance (`ogi init`, `ogi users`): the configuration file and the schema."""
from __future__ import annotations

from .config import DEFAULT_CONFIG, config_path, home_dir, load_config
from .identity import require_role, resolve_actor
from .store.db import database_url, describe_url, sqlite_path


def init_instance(login: str | None) -> dict:
    """Write the default configuration if there is none, then create or upgrade the schema.
    The first set-up is open to whoever installs; upgrading live data is for an admin."""
    from .store.schema import upgrade

    cfg_file = config_path()
    created_config = False
    if not cfg_file.exists():
        cfg_file.parent.mkdir(parents=True, exist_ok=True)
        cfg_file.write_text(DEFAULT_CONFIG, encoding="utf-8")
        created_config = True
    cfg = load_config()  # refuse a broken config before touching the database
    url = database_url()
    if _initialised(url):
        require_role(resolve_actor(cfg, login), "admin", what="升级已有数据库（ogi init）")
    upgrade(url)
    return {"home": str(home_dir()), "config": str(cfg_file), "config_created": created_config,
            "database": describe_url(url)}


def _initialised(url: str) -> bool:
    """Does the database at `url` already hold an ogi schema?"""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return False
    try:
        from .store.schema import current_heads

        return bool(current_heads(url))
    except Exception:  # noqa: BLE001 - unreachable or empty: upgrade() reports it properly
        return False


def list_users() -> list[dict]:
    return [{"login": u.login, "name": u.name, "roles": list(u.roles)} for u in load_config().users.values()]
