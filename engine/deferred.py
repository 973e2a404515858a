"""Work that may follow the answer: the service (service.py) answers a clerk first and renders
the step's letters afterwards, in the same forked process; in-process runs do it at once.

later(fn) queues fn and returns True only where a request has switched deferral on (enable());
run() does what was queued, each job on its own (a failed letter is recorded on the letter and
retried by `ogi letter render`, as for an in-process run).
"""
from __future__ import annotations

from typing import Callable

_QUEUE: list[Callable[[], object]] | None = None


def enable() -> None:
    global _QUEUE
    _QUEUE = []


def later(job: Callable[[], object]) -> bool:
    if _QUEUE is None:
        return False
    _QUEUE.append(job)
    return True


def run(on_error: Callable[[BaseException], None]) -> None:
    while _QUEUE:
        job = _QUEUE.pop(0)
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the next
            on_error(exc)
