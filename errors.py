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
    ├── YearFileError             a holiday year file that must not be loaded (calendars)
    ├── ReportImbalance           the annual report's cross-checks (勾稽关系) do not hold (legal)
    ├── DiagramError              graphviz missing or failing (legal)
    ├── AlreadyRunning            a second scheduler for one database (notify)
    └── DeliveryError             a warning could not be sent; retried later, never shown (notify)

This module imports nothing: the pure layers (states, calendars, letters) raise from it too.
"""
from __future__ import annotations

from typing import Iterable


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
