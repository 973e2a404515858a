"""Domain errors. Every message is Chinese, one line, and says what to do next.

    OgiError                      exit 1, message shown to the clerk
    ├── InputError                malformed date, unknown value, bad option
    ├── NotFound                  unknown case, consultation, letter, user
    ├── StepRefused               a guard refused the step (reasons attached)
    ├── PermissionDenied          the user's role may not do this
    ├── ConflictError             another clerk changed the case meanwhile
    ├── StorageError              database locked, down or not initialised
    ├── ConfigError               the config file is missing or wrong
    └── LetterError               font missing, template broken, file not writable

calendars.CalendarHorizonError and calendars.YearFileError are pure-layer errors that the CLI
shows the same way.
"""
from __future__ import annotations


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
