"""ogi's errors: one tree. Every message is Chinese, one line, and says what to do next; the CLI
shows any OgiError the same way (commands/errors_out.py), with `code` in --json output.

    OgiError                      exit 1, message shown to the clerk
    ├── InputError                malformed date, unknown value, bad option
    ├── NotFound                  unknown case, consultation, letter, user
    ├── StepRefused               a guard refused the step (reasons attached)
    ├── PermissionDenied          the user's role may not do this
    ├── ConflictError             another clerk changed the case meanwhile
    ├── StorageError              database locked, down or not initialised
    ├── ConfigError               the config file is missing or wrong
    ├── LetterError               font missing, template broken, file not writable
    ├── CalendarHorizonError      a date needs a year whose holiday notice is not loaded (calendars)
    ├── CalendarRangeError        a date or result outside every computable year (calendars)
    ├── YearFileError             a holiday year file that must not be loaded (calendars)
    ├── ReportImbalance           the annual report's cross-checks (勾稽关系) do not hold (legal)
    ├── DiagramError              graphviz missing or failing (legal)
    ├── AlreadyRunning            a second scheduler for one database (notify)
    └── DeliveryError             a warning could not be sent; retried later, never shown (notify)

`os_reason(exc)` says why an OS call failed in Chinese (by errno); `os_text(text)` replaces the
English OS errors inside a text. Every OS error a clerk sees passes through one of them.

This module imports nothing (the standard library's errno, lazily): the pure layers (states,
calendars, letters) raise from it too.
"""
from __future__ import annotations

from typing import Iterable


# What the operating system said, in Chinese (errno name -> reason). Python words OSError in
# English ("No such file or directory"); every message that passes an OS error on to a clerk
# says it through `os_reason` (engine, letters, commands) and, for text built elsewhere (a
# library's str(exc)), `os_text`, which commands/errors_out.py applies to every error line.
OS_REASONS = {
    "ENOENT": "文件或目录不存在",
    "EISDIR": "这是一个目录，不是文件",
    "ENOTDIR": "路径中有一段不是目录",
    "EACCES": "没有访问权限",
    "EPERM": "操作不被允许（权限不足）",
    "EEXIST": "文件已存在",
    "ENOSPC": "磁盘空间不足",
    "EDQUOT": "超出磁盘配额",
    "EROFS": "文件系统为只读",
    "EIO": "读写出错（磁盘或设备故障）",
    "ENAMETOOLONG": "文件名过长",
    "ENOTEMPTY": "目录不为空",
    "EBUSY": "文件或设备正忙",
    "ETXTBSY": "文件正被使用",
    "EXDEV": "不能跨磁盘（文件系统）移动",
    "ELOOP": "符号链接层数过多",
    "EMFILE": "打开的文件过多",
    "ENFILE": "系统打开的文件过多",
    "EFBIG": "文件过大",
    "EINVAL": "参数无效",
    "ENODEV": "没有这个设备",
    "ENXIO": "没有这个设备或地址",
    "ENOEXEC": "不是可执行的程序",
    "ENOMEM": "内存不足",
    "EAGAIN": "资源暂时不可用，请稍后重试",
    "EPIPE": "管道已断开",
    "ECONNREFUSED": "连接被拒绝，服务未启动或端口不对",
    "ECONNRESET": "连接被对方中断",
    "ECONNABORTED": "连接被中止",
    "ETIMEDOUT": "连接超时",
    "EHOSTUNREACH": "无法到达该主机",
    "ENETUNREACH": "网络不可达",
    "ENETDOWN": "网络已断开",
    "EADDRINUSE": "地址（端口）已被占用",
    "EADDRNOTAVAIL": "地址不可用",
}


def os_reason(exc: BaseException | int | None) -> str:
    """Why an OS call failed, in Chinese: an OSError (or its errno) -> "文件或目录不存在"."""
    import errno
    import os

    code = exc if isinstance(exc, int) else getattr(exc, "errno", None)
    if isinstance(exc, TimeoutError) and not code:
        code = errno.ETIMEDOUT
    name = errno.errorcode.get(code) if isinstance(code, int) else None
    if name in OS_REASONS:
        return OS_REASONS[name]
    if isinstance(code, int):
        return f"系统错误（{name or code}）"
    text = str(exc or "").strip()
    return os_text(text) if text else "未知的系统错误"


def os_text(text: str) -> str:
    """`text` with every English OS error in it said in Chinese: "[Errno 2] No such file or
    directory: 'x'" -> "文件或目录不存在：'x'", a bare "Permission denied" -> "没有访问权限"."""
    import errno
    import os
    import re

    if not text or not any("a" <= c.lower() <= "z" for c in text):
        return text

    def numbered(m: re.Match) -> str:
        reason = OS_REASONS.get(errno.errorcode.get(int(m.group(1)), ""))
        if reason is None:
            return m.group(0)
        return reason + (f"（{m.group(2)}）" if m.group(2) else "")

    text = re.sub(r"\[Errno (\d+)\] [^:\]）)]+(?:: '([^']*)')?", numbered, text)
    for name, zh in OS_REASONS.items():
        code = getattr(errno, name, None)
        if code is not None:
            english = os.strerror(code)
            if english in text:
                text = text.replace(english, zh)
    return text


class OgiError(Exception):
    exit_code = 1
    code = "error"

    def __init__(self, message: str, *, details: dict | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}


class InputError(OgiError):
    code = "bad_input"


class NotFound(OgiError):
    code = "not_found"


class StepRefused(OgiError):
    code = "step_refused"

    def __init__(self, step: str, reasons: list[str]):
        self.step = step
        self.reasons = list(reasons)
        super().__init__(f"不能执行“{step}”：" + "；".join(reasons), details={"reasons": self.reasons})


class PermissionDenied(OgiError):
    code = "permission_denied"


class ConflictError(OgiError):
    code = "conflict"


class StorageError(OgiError):
    code = "storage"


class ConfigError(OgiError):
    code = "config"


class LetterError(OgiError):
    code = "letter"


class CalendarHorizonError(OgiError, LookupError):
    """The computation needs a year whose State Council notice is not loaded."""
    code = "calendar_missing"

    def __init__(self, missing_years: Iterable[int]):
        self.missing_years = tuple(sorted(set(missing_years)))
        years = "、".join(f"{y} 年" for y in self.missing_years)
        super().__init__(
            f"缺少 {years}的节假日安排数据，无法按工作日计算期限。"
            f"请在国务院办公厅公布该年度节假日安排通知后，用“ogi calendar import 文件”导入；"
            f"确需先行估算的，可加 --allow-provisional 得到标注为“暂定”的结果。",
            details={"missing_years": list(self.missing_years)})


class CalendarRangeError(InputError):
    """A date (or a computed due date) outside the years the calendar can compute at all, even
    provisionally (9999-12-31, 0001-01-01): a typing mistake, not a notice to import."""
    code = "calendar_range"


class YearFileError(OgiError, ValueError):
    """A year file that must not be loaded; the message names the problem."""
    code = "bad_year_file"


class ReportImbalance(OgiError):
    code = "report_imbalance"


class DiagramError(OgiError):
    code = "diagram"


class AlreadyRunning(OgiError):
    code = "already_running"


class DeliveryError(OgiError):
    """A delivery failed; `connection` = the server could not be reached at all (the round then
    stops trying that server and queues the rest for the next try)."""
    code = "delivery"

    def __init__(self, message: str, *, connection: bool = False):
        super().__init__(message)
        self.connection = connection
