"""`ogi serve`: the instance's resident service (service.py; deployment: docs/deployment.md)."""
from __future__ import annotations

from typing import Annotated, Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("serve", help="运行本实例的 ogi 服务：经套接字认证操作系统账户、办理命令、后台生成文书并定时提醒；"
                              "直到收到 SIGTERM / Ctrl-C。")(serve_cmd)


def serve_cmd(
    socket: Annotated[Optional[str], typer.Option(
        "--socket", help="服务套接字路径（默认：环境变量 OGI_SOCKET，否则实例目录下的 ogi.sock）")] = None,
    no_scheduler: Annotated[bool, typer.Option("--no-scheduler", help="不在服务内运行期限提醒（另行运行 ogi scheduler run 时）")] = False,
    check: Annotated[bool, typer.Option("--check", help="只检查部署（文件归属与权限、套接字、数据库角色）并报告，不启动服务")] = False,
    json_: Annotated[bool, typer.Option("--json", help="与 --check 合用：以 JSON 输出检查结果")] = False,
) -> None:
    import os

    from ..client import socket_path

    path = socket or socket_path()
    if check:
        os.environ["OGI_SOCKET"] = path  # the check pings the same socket
        from .serve_check import run_check

        code = run_check(json_)
        if code:
            raise typer.Exit(code)
        return
    from ..service import serve

    code = serve(path, scheduler=not no_scheduler)
    if code:
        raise typer.Exit(code)
