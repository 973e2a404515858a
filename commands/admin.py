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
    from ..engine import api

    result = api.init_instance(as_)
    if json_:
        print_json(result)
    else:
        print(f"数据库已就绪：{result['database']}")
        print(f"配置文件：{result['config']}" + ("（已写出默认配置，请按本机关实际修改）" if result["config_created"] else ""))


def users_cmd(json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False) -> None:
    from ..engine import api
    from ..states.vocabulary import ROLE_LABELS, ROLE_NOTES

    rows = api.list_users()
    if json_:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['login']:<10}{r['name']:<8}" + "、".join(ROLE_LABELS[x] + (f"（{ROLE_NOTES[x]}）" if x in ROLE_NOTES else "") for x in r["roles"]))
