"""The `ogi` command: parse -> one engine call -> print (rich, or JSON with --json).

The console entry point `run()` first offers argv to the instance's service (client.py, which
imports only the standard library; service.py runs this same main() in a warm process); without
a service it offers argv to cli_fast (`ogi case show REF [--json]
[--as LOGIN]` on SQLite, without Typer, rich or SQLAlchemy); everything else, and anything the
fast path does not take, goes through `main()` and Typer. Typer is imported only there.

Everything a clerk reads is Chinese, click's own words included: commands/zh_click.py installs
one formatter for every help page and usage line (`zh_click.install()`, before the tree is built)
and words click's errors (`zh_click.message`). `ogi` or `ogi GROUP` alone prints the help on
stdout (exit 0); `ogi --version` prints `ogi <version>`; with `_OGI_COMPLETE` set (the completion
script of `ogi completion`), main() answers the shell instead (commands/completion.py).

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
    from .commands import zh_click

    zh_click.install()  # click's help and usage in Chinese, for every command of the tree
    app = typer.Typer(
        name="ogi",
        help="政府信息公开申请办理系统（依申请公开）。",
        no_args_is_help=True,
        add_completion=False,  # Typer's is English: `ogi completion` (commands/completion.py)
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    def show_version(value: bool) -> None:
        if value:
            print(f"ogi {version()}")
            raise typer.Exit()

    @app.callback()
    def root(_version: bool = typer.Option(False, "--version", help="显示版本号并退出。", is_eager=True,
                                           callback=show_version)) -> None:
        """政府信息公开申请办理系统（依申请公开）。"""

    app.add_typer(calendar_cmds.app, name="calendar", help="工作日日历：计算期限、查看年度安排、导入新年度通知。")
    app.add_typer(case_cmds.app, name="case", help="申请办理：登记、受理、补正、征求意见、办理意见、决定、报批、送达。")
    admin_cmds.register(app)
    _optional_groups(app)
    return app


def _optional_groups(app) -> None:
    """The other command groups; each module registers its own commands."""
    import importlib

    for name in ("letter", "warnings", "scheduler", "serve", "audit", "report", "proactive", "check", "states", "backup",
                 "demo", "completion"):
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


def version() -> str:
    """The installed package's version (its metadata), e.g. "0.1.0"."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("ogi")
    except PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return "（未安装，版本未知）"


def _usage_error(exc, argv: list[str]) -> None:
    """Click's usage errors, in Chinese (commands/zh_click.py), with the command's own help hint."""
    from .commands import zh_click

    where = exc.ctx.command_path if getattr(exc, "ctx", None) else _where(argv)
    errors_out.report(f"用法错误：{zh_click.message(exc)}（用“{where} -h”查看用法）", "usage", argv)


def _where(argv: list[str]) -> str:
    """`ogi GROUP COMMAND` as far as argv names them (errors raised before click made a context)."""
    cmd, path = _command(argv), ["ogi"]
    for tok in argv:
        if tok.startswith("-"):
            continue
        sub = getattr(cmd, "commands", {}).get(tok)
        if sub is None:
            break
        cmd, path = sub, [*path, tok]
    return " ".join(path)


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
        from .commands import zh_click

        zh_click.name_arguments(cmd)  # `{case}` -> `{案件}`: positional arguments shown in Chinese
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

    from .commands import zh_click

    exceptions = zh_click.click("exceptions")
    ClickException, UsageError = exceptions.ClickException, exceptions.UsageError
    NoArgsIsHelpError = getattr(exceptions, "NoArgsIsHelpError", ())  # click < 8.2: no such class

    args = list(sys.argv[1:] if argv is None else argv)
    instruction = os.environ.get("_OGI_COMPLETE")
    if instruction:  # the shell asks for completions (commands/completion.py)
        from .commands import completion

        try:
            return completion.respond(instruction, _command)
        except Exception as exc:  # noqa: BLE001 - a Tab key prints no traceback: logged, nothing shown
            errors_out.log_unexpected(exc, args)
            return 1
    try:
        rc = _command(args).main(args=args, prog_name="ogi", standalone_mode=False)
        # standalone_mode=False: click *returns* the code of a `raise typer.Exit(n)`
        return rc if isinstance(rc, int) and not isinstance(rc, bool) else 0
    except typer.Exit as exc:
        return exc.exit_code
    except NoArgsIsHelpError as exc:  # `ogi`, `ogi case`: the help asked for, not an error
        sys.stdout.write(exc.format_message().rstrip("\n") + "\n")
        return 0
    except UsageError as exc:
        _usage_error(exc, args)
        return 2
    except ClickException as exc:
        errors_out.report(zh_click.message(exc), "error", args)
        return exc.exit_code
    except typer.Abort:
        sys.stderr.write("已取消。\n")
        return 1
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - domain, storage, internal: one line each
        return errors_out.handle(exc, args)


def run() -> None:  # pragma: no cover - console entry point
    from .client import try_service

    code = try_service(sys.argv[1:])  # None: no service for this instance, or a local command
    if code is not None:
        sys.stdout.flush()
        os._exit(code)
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
