"""The warning daemon: one APScheduler 3.x job (sweep, then send) and a single active instance.

DESIGN.md, Warnings: `coalesce=True`, `max_instances=1` and a large `misfire_grace_time` (the
default of 1 s silently skips the runs missed while the machine slept); the job store is the
in-memory one, so no two schedulers ever share a store. One daemon per database is enforced
outside APScheduler: PostgreSQL `pg_try_advisory_lock` on a connection held for the daemon's
life (keyed per schema), SQLite a file lock next to the database file. Both vanish with the
process, so a killed daemon never blocks its successor.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import signal
import threading
import time
from typing import Callable

from ...errors import OgiError, StorageError
from ..identity import SHANGHAI
from ...errors import AlreadyRunning

LOCK_NAMESPACE = "ogi-scheduler"
MISFIRE_GRACE_SECONDS = 24 * 3600
LOCK_CHECK_SECONDS = 30  # how often the daemon makes sure it still holds the lock


class InstanceLock:
    """"At most one daemon per database": acquire() -> bool, alive(), release()."""

    def __init__(self, url: str):
        from ..store.db import sqlite_path

        self.url = url
        self.path = sqlite_path(url)
        self._file = None
        self._conn = None
        self.where = ""

    def acquire(self) -> bool:
        if self.path is not None:
            from filelock import FileLock, Timeout

            lock_path = self.path.with_name(self.path.name + ".scheduler.lock")
            self.where = f"锁文件 {lock_path}"
            lock = FileLock(str(lock_path), timeout=0)
            try:
                lock.acquire()
            except Timeout:
                return False
            self._file = lock
            return True
        from sqlalchemy import text

        from ..store.db import get_engine

        conn = get_engine(self.url).connect()
        schema = conn.execute(text("SELECT current_schema()")).scalar() or "public"
        # one key per database schema (tests and agencies may share one database)
        key = int.from_bytes(hashlib.blake2b(f"{LOCK_NAMESPACE}:{schema}".encode(), digest_size=8).digest(),
                             "big", signed=True)
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        conn.commit()  # the advisory lock is session-level: it outlives the transaction
        self.where = f"PostgreSQL 咨询锁（模式 {schema}）"
        if not got:
            conn.close()
            return False
        self._conn, self._key = conn, key
        return True

    def alive(self) -> bool:
        """False when the database connection holding the lock is gone (then so is the lock)."""
        if self._conn is None:
            return self._file is not None
        from sqlalchemy import text

        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except Exception:  # noqa: BLE001
            return False

    def release(self) -> None:
        if self._file is not None:
            self._file.release()
            self._file = None
        if self._conn is not None:
            from sqlalchemy import text

            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
                self._conn.commit()
            except Exception:  # noqa: BLE001 - never hand a connection that may hold the lock back to the pool
                self._conn.invalidate()
            self._conn.close()
            self._conn = None


def one_round(url: str | None = None, *, log: Callable[[str], None] = print,
              cancel: threading.Event | None = None) -> dict:
    """Sweep as of today (Asia/Shanghai; OGI_TODAY fixes it), then send what is due. `cancel`
    (set by SIGTERM/SIGINT) cuts the sending short: a delivery in progress is abandoned within a
    fraction of a second and recorded as failed, to be retried by the next daemon."""
    from ..config import load_config
    from ..identity import today
    from .delivery import send_round
    from .outbox import sweep

    cfg = load_config()  # re-read every round: a corrected config takes effect without restart
    day = today()
    sw = sweep(day, cfg=cfg, url=url)
    sent = send_round(cfg=cfg, url=url, cancel=cancel)
    log(f"{day} 扫描：候选案件 {sw['candidates']} 件，新提醒 {sw['created']} 条；发送：成功 {sent['sent']} 条，"
        f"失败 {sent['failed']} 条，取消 {sent['cancelled']} 条")
    for e in sent["errors"][:5]:
        from ...states.vocabulary import WARNING_CHANNELS

        channel = WARNING_CHANNELS.get(e["channel"], e["channel"])
        log(f"  发送失败（将于 {e['next_attempt_at']} 重试）：案件 {e['case']} {channel}：{e['error']}")
    for e in sw["errors"][:5]:
        log(f"  无法计算案件 {e['case']} 的期限：{e['error']}")
    if sent.get("stopped"):
        log("  收到停止信号：本轮发送已中断，未发出的提醒留在发件箱，下次运行时发送")
    cp = daily_checkpoint(url, log=log)
    return {"sweep": sw, "send": sent, "checkpoint": cp}


def daily_checkpoint(url: str | None = None, *, log: Callable[[str], None] = print) -> dict | None:
    """The day's checkpoint of the agency's log (engine/ledger/store.auto_checkpoint): at most one
    per calendar day, when the log grew, if the instance has a signing key. A failure is logged
    and never stops the round (the next round tries again)."""
    from ..ledger.store import auto_checkpoint

    try:
        cp = auto_checkpoint(url)
    except OgiError as exc:
        log(f"  本日检查点未签发：{exc.message}")
        return None
    if cp is not None:
        log(f"  已签发本日日志检查点：{cp['size']} 条，根哈希 {cp['root'][:16]}…")
        cp["sent"] = _send_checkpoint(cp, log)
    return cp


def _send_checkpoint(cp: dict, log) -> list[dict]:
    """The new checkpoint to the legal office (engine/notify/checkpoints.py); never stops the round."""
    from .checkpoints import send

    try:
        sent = send(cp)
    except OgiError as exc:
        log(f"  检查点未能发送给法制机构：{exc.message}")
        return []
    for r in sent:
        if r["ok"]:
            log(f"  检查点已发送给法制机构 {r['user']}（{r['channel']}）")
        else:
            log(f"  检查点未能发送给法制机构 {r['user']}（{r['channel']}）：{r['error']}")
    return sent


def _safe_round(url: str | None, log, err, cancel: threading.Event | None = None) -> None:
    """The job body: nothing it raises may kill the daemon; the next run tries again."""
    from ..store.db import describe_storage_error

    if cancel is not None and cancel.is_set():
        return  # stopping: a run that starts now has nothing to finish
    try:
        one_round(url, log=log, cancel=cancel)
    except OgiError as exc:
        err(f"本轮提醒未完成：{exc.message}")
    except Exception as exc:  # noqa: BLE001
        msg = describe_storage_error(exc)
        if msg:
            err(f"本轮提醒未完成：{msg}")
        else:
            err(f"本轮提醒未完成：内部错误 {type(exc).__name__}: {str(exc)[:200]}")


def build_scheduler(job: Callable[[], None], interval_minutes: float):
    """The scheduler with its one job, not started (DESIGN.md: coalesce, one instance, a large
    misfire grace time, the in-memory job store; the first run is right away)."""
    import logging

    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    sched = BackgroundScheduler(
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        timezone=_zone(),
    )
    sched.add_job(job, IntervalTrigger(seconds=max(1, int(interval_minutes * 60)), timezone=_zone()),
                  id="ogi-warnings", name="期限提醒：扫描并发送", next_run_time=dt.datetime.now(_zone()))
    return sched


def run_daemon(*, interval_minutes: float, max_runtime: float | None = None, once: bool = False,
               url: str | None = None, log: Callable[[str], None] = print,
               err: Callable[[str], None] = print, poll: float = 0.2,
               on_result: Callable[[dict], None] | None = None) -> int:
    """Run until SIGTERM/SIGINT (or `max_runtime` seconds). Returns the exit code.

    The signal sets `stop`, which is also the transports' cancel event: a delivery in progress
    (say, to a server that drips a byte a second) is cut short within a fraction of a second
    and recorded as failed for the next run, the round claims nothing more, and the daemon exits
    with code 0 within seconds."""
    from ..store.db import database_url, describe_url

    url = url or database_url()
    stop = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous = {}
    if in_main:  # handlers first: a SIGTERM that arrives while we start still stops us cleanly
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        lock = InstanceLock(url)
        try:
            got = lock.acquire()
        except OgiError:
            raise
        except Exception as exc:  # noqa: BLE001
            from ..store.db import describe_storage_error

            raise StorageError(describe_storage_error(exc) or f"无法取得守护进程锁：{exc}") from None
        if not got:
            raise AlreadyRunning(f"数据库 {describe_url(url)} 已有一个提醒守护进程在运行（{lock.where}）；"
                                 "同一数据库只能运行一个，本进程退出。需要立即提醒时请用“ogi warnings sweep”和“ogi warnings send”")
        try:
            if once:  # errors propagate: cron sees exit code 1 and the one-line message
                result = one_round(url, log=log, cancel=stop)
                if on_result is not None:
                    on_result(result)
                return 0
            sched = build_scheduler(lambda: _safe_round(url, log, err, stop), interval_minutes)
            sched.start()
            log(f"提醒守护进程已启动：每 {interval_minutes:g} 分钟扫描并发送一次（{lock.where}）")
            started = checked = time.monotonic()
            code = 0
            while not stop.wait(poll):
                now = time.monotonic()
                if max_runtime is not None and now - started >= max_runtime:
                    log(f"已达到最长运行时间 {max_runtime:g} 秒")
                    break
                if now - checked < LOCK_CHECK_SECONDS:
                    continue
                checked = now
                if not lock.alive():
                    err("与数据库的连接已断开，单实例锁随之失效：守护进程退出，请由 systemd 重新启动")
                    code = 1
                    break
            sched.shutdown(wait=True)  # let a running round finish
            log("提醒守护进程已停止")
            return code
        finally:
            lock.release()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _zone():
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # noqa: BLE001 - no tzdata: China has had no DST since 1991
        return SHANGHAI
