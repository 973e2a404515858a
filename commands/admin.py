"""`ogi init`, `ogi users`: setting up an instance."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import print_json


def register(app: typer.Typer) -> None:
    app.command("init", help="初始化（或升级）数据库并写出默认配置文件；已有数据不受影响。")(init_cmd)
    app.command("users", help="列出配置文件中的用户及其角色。")(users_cmd)


def init_cmd(json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
             as_: Annotated[Optional[str], typer.Option("--as", help="用户名（升级已有数据库须为系统管理员）")] = None) -> None:
    from ..engine.config import DEFAULT_CONFIG, config_path, home_dir, load_config
    from ..engine.store.db import database_url, describe_url
    from ..engine.store.schema import upgrade

    cfg_file = config_path()
    created_config = False
    if not cfg_file.exists():
        cfg_file.parent.mkdir(parents=True, exist_ok=True)
        cfg_file.write_text(DEFAULT_CONFIG, encoding="utf-8")
        created_config = True
    cfg = load_config()  # refuse a broken config before touching the database
    url = database_url()
    if _initialised(url):  # first set-up is open to whoever installs; upgrading live data is not
        from ..engine.identity import require_role, resolve_actor

        require_role(resolve_actor(cfg, as_), "admin", what="升级已有数据库（ogi init）")
    upgrade(url)
    result = {"home": str(home_dir()), "config": str(cfg_file), "config_created": created_config,
              "database": describe_url(url)}
    if json_:
        print_json(result)
    else:
        print(f"数据库已就绪：{result['database']}")
        print(f"配置文件：{result['config']}" + ("（已写出默认配置，请按本机关实际修改）" if created_config else ""))


def _initialised(url: str) -> bool:
    """Does the database at `url` already hold an ogi schema?"""
    from ..engine.store.db import sqlite_path

    path = sqlite_path(url)
    if path is not None and not path.exists():
        return False
    try:
        from ..engine.store.schema import current_heads

        return bool(current_heads(url))
    except Exception:  # noqa: BLE001 - unreachable or empty: upgrade() reports it properly
        return False


def users_cmd(json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False) -> None:
    from ..engine.config import load_config
    from ..states.vocabulary import ROLE_LABELS, ROLE_NOTES

    cfg = load_config()
    rows = [{"login": u.login, "name": u.name, "roles": list(u.roles)} for u in cfg.users.values()]
    if json_:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['login']:<10}{r['name']:<8}" + "、".join(ROLE_LABELS[x] + (f"（{ROLE_NOTES[x]}）" if x in ROLE_NOTES else "") for x in r["roles"]))
