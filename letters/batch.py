"""Turning LetterContexts into files' bytes, in this process or in a pool of worker processes.

`produce` is the CPU-bound part of rendering a letter: HTML, layout, PDF (and the DOCX working
copy). It touches no database and no file, so the engine can run it in worker processes (one per
core) while it reads the next letters' contexts and records the finished ones itself, one
transaction per letter (engine/cases/documents.py). Workers are started with "spawn": a fresh
interpreter imports only this package (no SQLAlchemy, no open connections or threads copied by a
fork), loads WeasyPrint and the fonts once, and renders letter after letter. The same context
gives the same bytes in any process (tests/test_letters_pdf.py checks it across processes).
As always with "spawn", a script that renders on the pool must keep its top level importable
without side effects (`if __name__ == "__main__":`): each worker imports the main module.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from dataclasses import dataclass

from ..errors import LetterError
from .context import LetterContext

# Fewer letters than this are rendered in the calling process: a worker pays ~1 s of CPU to
# start (interpreter, WeasyPrint, fonts), the price of 4-5 letters, which a busy machine that
# gives this session one core only does not win back on a small batch.
PARALLEL_MIN = 8


@dataclass(frozen=True)
class Job:
    ctx: LetterContext
    docx: bool = True                # also make the Word working copy
    known_sha256: str | None = None  # the recorded PDF's hash: if it comes out the same, no DOCX


@dataclass(frozen=True)
class Output:
    sha256: str = ""
    pdf: bytes | None = None
    docx: bytes | None = None
    docx_error: str | None = None    # the PDF stays the record: a DOCX failure is only noted
    error: str | None = None         # LetterError message: no PDF
    error_details: dict | None = None
    cpu: float = 0.0                 # CPU seconds spent on it, and wall seconds (benchmarks)
    wall: float = 0.0
    pid: int = 0

    @property
    def unchanged(self) -> bool:
        return self.pdf is None and self.error is None


def produce(job: Job) -> Output:
    """Render one letter. LetterErrors come back in the Output (they pickle badly and a batch
    goes on after them); anything else is a bug and raises."""
    from .render import render_pdf

    start, wall = time.process_time(), time.perf_counter()

    def done(**fields) -> Output:
        return Output(**fields, cpu=time.process_time() - start, wall=time.perf_counter() - wall, pid=os.getpid())

    try:
        pdf = render_pdf(job.ctx)
    except LetterError as exc:
        return done(error=exc.message, error_details=exc.details or None)
    sha = hashlib.sha256(pdf).hexdigest()
    if job.known_sha256 == sha:
        return done(sha256=sha)
    docx = docx_error = None
    if job.docx:
        try:
            from .docx import render_docx

            docx = render_docx(job.ctx)
        except LetterError as exc:
            docx_error = exc.message
    return done(sha256=sha, pdf=pdf, docx=docx, docx_error=docx_error)


def _warm_up() -> None:
    """Worker initializer: Ctrl-C is the parent's to handle (it cancels what is queued and waits
    for the letters being rendered); load WeasyPrint and the fonts before the first letter
    arrives, so that all workers do it at once. Errors are left for the first letter to report."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        from .pdf import _codepoints
        from .render import to_pdf

        to_pdf('<!DOCTYPE html><html lang="zh-CN"><body><p>文书</p></body></html>')
        _codepoints()
    except Exception:  # noqa: BLE001 - the first real letter reports it as a LetterError
        pass


def worker_count(letters: int, workers: int | None = None) -> int:
    """How many worker processes `letters` letters are worth: 0 = render in this process."""
    want = (os.cpu_count() or 1) if workers is None else workers
    if want <= 1 or letters < 2 or (workers is None and letters < PARALLEL_MIN):
        return 0
    return min(want, letters)


def pool(workers: int):
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_warm_up)
