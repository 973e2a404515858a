"""`ogi init`, `ogi users`: setting up an instance."""
from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import print_json


def register(app: typer.Typer) -> None:
    app.command("init", help="初始化（或升级）数据库并写出默认配置文件；已有数据不受影响。")(init_cmd)
    app.command("users", help="列出配置文件中的用户及其角色。")(users_cmd)


def init_cmd(json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False,
             as_: Annotated[Optional[str], typer.Option("--as", help="用户名（升级已有数据库须为系统管理员）")] = None,
             training: Annotated[bool, typer.Option(
                 "--training", help="演示、培训或测试实例：新写出的配置允许用 --as 或 OGI_USER 声明办理人"
                                    "（每条记录注明“声明身份”）；正式实例不要使用")] = False,
             service_user: Annotated[Optional[str], typer.Option(
                 "--service-user", metavar="<账户>",
                 help="须以 root 运行：实例的全部数据归该操作系统账户（运行 ogi serve 的专用账户）独有，"
                      "职员只能经服务办理；对已有实例重新运行可修正属主和权限")] = None,
             writer_role: Annotated[Optional[str], typer.Option(
                 "--writer-role", metavar="<角色>",
                 help="PostgreSQL：以表的所有者运行，创建（如缺）并授权服务使用的写入角色：可办理，"
                      "办理记录只能读取和追加")] = None,
             reader_role: Annotated[Optional[str], typer.Option(
                 "--reader-role", metavar="<角色>",
                 help="PostgreSQL：以表的所有者运行，创建（如缺）并授权只读角色（如法制机构自行查询用）")] = None) -> None:
    from ..engine import api

    result = api.init_instance(as_, training=training, service_user=service_user,
                               writer_role=writer_role, reader_role=reader_role)
    if json_:
        print_json(result)
        return
    print(f"数据库已就绪：{result['database']}")
    print(f"配置文件：{result['config']}" + ("（已写出默认配置，请按本机关实际修改）" if result["config_created"] else ""))
    if result["allow_declared"]:
        print("本实例接受声明的办理人（--as、OGI_USER）：仅供演示、培训和测试，每条记录注明“声明身份”。")
    for t in result["triggers_restored"]:
        print(t["message"])
    if service_user is not None:
        _print_service_changes(result)
    for line in result["roles"]:
        print(line)


def _print_service_changes(result: dict) -> None:
    user = result["service_user"]
    if result["changes"]:
        print(f"已把实例的数据交给服务账户 {user}，调整如下：")
        for line in result["changes"]:
            print(f"  {line}")
    else:
        print(f"实例的文件已全部属于服务账户 {user}，权限正确，无需调整。")
    print(f"下一步：以 {user} 运行 ogi serve（systemctl enable --now ogi），再用 ogi serve --check 检查部署。")


def users_cmd(json_: Annotated[bool, typer.Option("--json", help="以 JSON 输出")] = False) -> None:
    from ..engine import api
    from ..states.vocabulary import ROLE_LABELS, ROLE_NOTES

    rows = api.list_users()
    if json_:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['login']:<10}{r['name']:<8}" + "、".join(ROLE_LABELS[x] + (f"（{ROLE_NOTES[x]}）" if x in ROLE_NOTES else "") for x in r["roles"]))
