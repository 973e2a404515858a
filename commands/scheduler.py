"""`ogi scheduler run`: the warning daemon (see docs/scheduler.md and docs/ogi-scheduler.service)."""
from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def register(app_: typer.Typer) -> None:
    app_.add_typer(app, name="scheduler", help="期限提醒守护进程：定时扫描期限并发送提醒（每个数据库只运行一个）。")


def _out(line: str) -> None:
    from ..engine import api

    sys.stdout.write(f"{api.now().isoformat()} {line}\n")
    sys.stdout.flush()


def _err(line: str) -> None:
    from ..engine import api

    sys.stderr.write(f"{api.now().isoformat()} 错误：{line}\n")
    sys.stderr.flush()


@app.command("run", help="运行提醒守护进程，直到收到 SIGTERM / Ctrl-C；同一数据库已有守护进程时立即退出（退出码 1）。")
def run_cmd(
    interval: Annotated[Optional[float], typer.Option("--interval", min=0.02, max=1440,
                                                      help="每隔多少分钟扫描并发送一次（默认取配置 warnings.interval_minutes，30）")] = None,
    max_runtime: Annotated[Optional[float], typer.Option("--max-runtime", min=0, help="最长运行秒数，到时正常退出（测试、演练用）")] = None,
    once: Annotated[bool, typer.Option("--once", help="取得单实例锁后只运行一轮即退出（适合 cron）")] = False,
    json_: Annotated[bool, typer.Option("--json", help="与 --once 合用：以 JSON 输出本轮的扫描与发送结果")] = False,
) -> None:
    from ..engine import api

    ch = api.warning_settings(api.load_config())  # refuse a broken config before starting
    from .common import print_json

    quiet = json_ and once
    code = api.run_scheduler(interval_minutes=interval or ch.interval_minutes, max_runtime=max_runtime, once=once,
                      log=(lambda _line: None) if quiet else _out, err=_err,
                      on_result=print_json if quiet else None)
    if code:
        raise typer.Exit(code)
