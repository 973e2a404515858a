"""Shared CLI helpers: date parsing, output (rich or --json), lazy consoles."""
from __future__ import annotations

import datetime as dt
import re
import sys
from typing import Any

from ..errors import InputError

# re.ASCII: \d must not match full-width or other scripts' digits (“２０２６-０９-２４”).
_DATE_FORMS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$", re.ASCII),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$", re.ASCII),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$", re.ASCII),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$", re.ASCII),
)


def parse_date(text: str | None, what: str = "日期") -> dt.date:
    """Accept 2026-09-24, 2026/9/24, 20260924 or 2026年9月24日; refuse anything else."""
    raw = (text or "").strip()
    for form in _DATE_FORMS:
        m = form.match(raw)
        if m:
            y, mo, d = (int(g) for g in m.groups())
            try:
                return dt.date(y, mo, d)
            except ValueError:
                raise InputError(f"{what}“{raw}”不存在（{y}年没有{mo}月{d}日），请核对后重新输入") from None
    shown = raw if len(raw) <= 40 else raw[:40] + "…"
    shown = "".join(c if c.isprintable() else "?" for c in shown)  # no escape codes echoed back
    hint = "（请使用半角数字）" if any(c.isdigit() and not c.isascii() for c in raw) else ""
    raise InputError(f"{what}“{shown}”无法识别{hint}，请写作 YYYY-MM-DD，例如 2026-09-24")


def optional_date(text: str | None, what: str = "日期") -> dt.date | None:
    return None if text is None else parse_date(text, what)


def dump_json(data: Any) -> str:
    from ..engine import api

    return api.dump_json(data)


def print_json(data: Any) -> None:
    sys.stdout.write(dump_json(data) + "\n")


def console():
    from rich.console import Console

    return Console(highlight=False)


def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class progress_bar:
    """A transient progress bar on stderr for long work (shown only on a terminal); yields a
    `update(done, total)` callback for the engine."""

    def __init__(self, description: str, enabled: bool = True):
        self.description, self.enabled, self._progress = description, enabled, None

    def __enter__(self):
        if not self.enabled or not err_console().is_terminal:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._progress = Progress(TextColumn(self.description), BarColumn(), MofNCompleteColumn(),
                                  TimeRemainingColumn(), console=err_console(), transient=True)
        self._progress.start()
        task = self._progress.add_task(self.description, total=None)

        def update(done: int, total: int) -> None:
            self._progress.update(task, completed=done, total=total)

        return update

    def __exit__(self, *exc):
        if self._progress is not None:
            self._progress.stop()
        return False
