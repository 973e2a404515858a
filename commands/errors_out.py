"""How an error reaches the clerk: one Chinese line on stderr (or a JSON error object with
--json) and an exit code. Shared by the Typer path (cli.main) and the fast start of
`ogi case show` (cli_fast), so both say exactly the same thing; imports nothing heavy
(no Typer, rich or SQLAlchemy). Click's own errors (usage, abort) are cli.main's business.
"""
from __future__ import annotations

import sys


def wants_json(argv: list[str]) -> bool:
    return "--json" in argv


def report(message: str, code: str, argv: list[str], details: dict | None = None) -> None:
    from ..errors import os_text
    from .common import print_json

    message = os_text(message)  # an English OS error inside (a library's words): in Chinese
    if wants_json(argv):
        print_json({"ok": False, "error": code, "message": message, **({"details": details} if details else {})})
    # One line for a terminal: values echoed from hostile input carry no escape codes, no
    # line breaks and no megabytes.
    import unicodedata

    shown = "".join("?" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in message)
    if len(shown) > 1000:
        shown = shown[:1000] + "…"
    sys.stderr.write(f"错误：{shown}\n")


def log_unexpected(exc: BaseException, argv: list[str] | None = None) -> str:
    import datetime as dt
    import traceback

    from ..engine import api

    mask_argv, mask_text = api.mask_argv, api.mask_text
    try:
        path = api.home_dir() / "ogi-error.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        # 个人信息保护法第五十一条: ID and phone numbers never reach the log in clear
        line = " ".join(mask_argv(["ogi", *argv] if argv is not None else sys.argv))
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(f"--- {dt.datetime.now().isoformat()} {line}\n")
            fh.write(mask_text("".join(traceback.format_exception(exc))))
        return str(path)
    except OSError:
        return "（无法写入日志）"


def handle(exc: BaseException, argv: list[str]) -> int:
    """Report `exc` (anything but click's own errors) and return the exit code."""
    from ..errors import OgiError

    if isinstance(exc, OgiError):  # calendar errors included (errors.py: one tree)
        report(exc.message, exc.code, argv, exc.details)
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        sys.stderr.write("已中断，未完成的步骤没有保存。\n")
        return 130
    if not isinstance(exc, Exception):  # SystemExit and the like are not ours to report
        raise exc
    # the last line of defence: no traceback to a clerk
    from ..engine import api

    message = api.describe_storage_error(exc)
    if message:
        report(message, "storage", argv)
        return 1
    if isinstance(exc, OSError) and (exc.filename is not None or exc.errno is not None):
        # a file or network call the command did not word itself: say which and why, in Chinese
        from ..errors import os_reason

        log_unexpected(exc, argv)  # the traceback, for whoever looks into it
        names = "、".join(f"“{f}”" for f in (exc.filename, exc.filename2) if f is not None)
        report(f"{'无法访问 ' + names if names else '系统调用失败'}：{os_reason(exc)}，本次操作未完成", "os_error", argv)
        return 1
    where = log_unexpected(exc, argv)
    report(f"发生内部错误（{type(exc).__name__}），本次操作未保存。详情已记录在 {where}，请联系系统管理员。", "internal", argv)
    return 1
