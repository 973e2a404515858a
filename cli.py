"""The `ogi` command: parse -> one engine call -> print (rich, or JSON with --json).

The console entry point `run()` first offers argv to cli_fast (`ogi case show REF [--json]
[--as LOGIN]` on SQLite, without Typer, rich or SQLAlchemy); everything else, and anything the
fast path does not take, goes through `main()` and Typer. Typer is imported only there.

Exit codes: 0 success; 1 refused step, bad input or an unavailable resource, with one Chinese
line saying what to do; 2 usage errors. No traceback reaches a clerk: unexpected errors are
written to the log file and summarised in one line.
"""
from __future__ import annotations

import os
import sys

from .commands import errors_out


def _build_app():
    """The Typer application (imported and built on first use: `ogi case show` starts without it,
    see cli_fast.py)."""
    import typer

    from .commands import admin as admin_cmds
    from .commands import calendar as calendar_cmds
    from .commands import case as case_cmds

    app = typer.Typer(
        name="ogi",
        help="政府信息公开申请办理系统（依申请公开）。",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.add_typer(calendar_cmds.app, name="calendar", help="工作日日历：计算期限、查看年度安排、导入新年度通知。")
    app.add_typer(case_cmds.app, name="case", help="申请办理：登记、受理、补正、征求意见、办理意见、决定、报批、送达。")
    admin_cmds.register(app)
    _optional_groups(app)
    return app


def _optional_groups(app) -> None:
    """The other command groups; each module registers its own commands."""
    import importlib

    for name in ("letter", "warnings", "scheduler", "audit", "report", "check", "states", "backup", "demo"):
        importlib.import_module(f"{__package__}.commands.{name}").register(app)


_APP = None


def _app():
    global _APP
    if _APP is None:
        _APP = _build_app()
    return _APP


def __getattr__(name: str):
    if name == "app":  # `from ogi.cli import app` still works
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


_USAGE_PATTERNS = (
    (r"Missing argument '([^']+)'\.?", r"缺少参数 \1"),
    (r"Missing option '([^']+)'\.?", r"缺少选项 \1"),
    (r"No such command '([^']+)'\.?", r"没有命令“\1”"),
    (r"No such option: (\S+)(.*)", r"没有选项 \1\2"),
    (r"Option '([^']+)' requires an argument\.?", r"选项 \1 需要一个值"),
    (r"Invalid value for '([^']+)': (.+)", r"\1 的值无效：\2"),
    (r"Got unexpected extra arguments? \((.+)\)", r"多余的参数：\1"),
)


def _usage_error(exc, argv: list[str]) -> None:
    """Click's usage errors, in Chinese, with the command's own help hint."""
    import re

    message = exc.format_message()
    for pattern, repl in _USAGE_PATTERNS:
        message, n = re.subn(pattern, repl, message)
        if n:
            break
    message = re.sub(r"\s*Did you mean '([^']+)'\??", r"（是否要输入“\1”？）", message)
    message = re.sub(r"\s*\(Possible options: ([^)]+)\)", r"（可用选项：\1）", message)
    for phrase, zh in (("Input should be a valid integer", "应为整数"), ("unable to parse string as an integer", ""),
                       ("is not a valid integer", "不是整数"), ("is not in the range", "不在允许范围内"),
                       ("Input should be greater than or equal to", "应大于或等于"),
                       ("Input should be less than or equal to", "应小于或等于")):
        message = message.replace(phrase, zh)
    message = message.replace("应为整数, ", "应为整数").rstrip(", ")
    where = exc.ctx.command_path if getattr(exc, "ctx", None) else "ogi"
    errors_out.report(f"用法错误：{message}（用“{where} -h”查看用法）", "usage", argv)


def _command(args: list[str] | None = None):
    """The click command tree for this run, built once per process per shape.

    Typer converts every group and command to click on each run (~0.1 s of a read command's
    start-up); `ogi GROUP COMMAND ...` needs that one command only, so only it is converted
    (with the top-level commands). Anything else (`ogi`, `ogi -h`, `ogi GROUP`, a mistyped
    name) gets the whole tree, so listings, help and "no such command" messages are unchanged.
    """
    import typer.main

    key = _route(args or [])
    cmd = _COMMANDS.get(key)
    if cmd is None:
        cmd = _COMMANDS[key] = typer.main.get_command(_pruned(*key) if key else _app())
    return cmd


_COMMANDS: dict = {}


def _command_name(info) -> str:
    import typer.main

    return info.name or typer.main.get_command_name(info.callback.__name__)


def _route(args: list[str]) -> tuple[str, str] | None:
    if len(args) < 2:
        return None
    group = next((g for g in _app().registered_groups if g.name == args[0]), None)
    sub = group.typer_instance if group is not None else None
    if sub is None or sub.registered_groups:
        return None
    if not any(_command_name(c) == args[1] for c in sub.registered_commands):
        return None
    return args[0], args[1]


def _pruned(group_name: str, command_name: str) -> "typer.Typer":  # noqa: F821
    """A shallow copy of `app` holding one group with one command (same infos, same settings)."""
    import copy

    app = _app()
    group = copy.copy(next(g for g in app.registered_groups if g.name == group_name))
    group.typer_instance = copy.copy(group.typer_instance)
    group.typer_instance.registered_commands = [
        c for c in group.typer_instance.registered_commands if _command_name(c) == command_name]
    root = copy.copy(app)
    root.registered_groups = [group]
    return root


def main(argv: list[str] | None = None) -> int:
    """Run one command through Typer; return its exit code (errors reported, never raised)."""
    import typer

    try:  # Typer >= 0.20 bundles its own click
        from typer._click.exceptions import ClickException, UsageError
    except ImportError:  # pragma: no cover - older Typer on plain click
        from click.exceptions import ClickException, UsageError

    args = list(sys.argv[1:] if argv is None else argv)
    try:
        rc = _command(args).main(args=args, prog_name="ogi", standalone_mode=False)
        # standalone_mode=False: click *returns* the code of a `raise typer.Exit(n)`
        return rc if isinstance(rc, int) and not isinstance(rc, bool) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except UsageError as exc:
        _usage_error(exc, args)
        return 2
    except ClickException as exc:
        exc.show()
        return 1
    except typer.Abort:
        sys.stderr.write("已取消。\n")
        return 1
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - domain, storage, internal: one line each
        return errors_out.handle(exc, args)


def run() -> None:  # pragma: no cover - console entry point
    code = None
    if not os.environ.get("OGI_NO_FAST"):  # OGI_NO_FAST=1: always the Typer path (tests, benchmarks)
        from .cli_fast import try_fast

        code = try_fast(sys.argv[1:])  # None: not `ogi case show ...`, or not on the fast path
    if code is None:
        code = main()
    _exit_now(code)
    sys.exit(code)


def _exit_now(code: int) -> None:
    """End the process without the interpreter's teardown.

    Freeing the module graphs of SQLAlchemy, pydantic and Typer one object at a time costs
    0.1-0.2 s, a fifth of a read command's wall time, and serves nothing. What a normal exit does
    that matters is done first: database connections closed (SQLite checkpoints its WAL on the
    last close), atexit handlers run, output flushed. With another thread still alive this
    returns, and the caller exits normally.
    """
    import threading

    if threading.active_count() > 1:
        return
    db = sys.modules.get(f"{__package__}.engine.store.db")
    try:
        if db is not None:
            db.dispose_engines()
        import atexit

        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - anything odd: leave the normal way
        return
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
