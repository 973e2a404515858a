"""`ogi scheduler run`: two daemons started at once on one database leave exactly one active
(real subprocesses; PostgreSQL advisory lock / SQLite file lock), SIGTERM stops it cleanly and
frees the lock; --once and --max-runtime for cron and drills. Bounded: polling with deadlines."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
OGI = REPO / ".venv" / "bin" / "ogi"


def _wait_for(pred, deadline_s: float, what: str):
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_two_daemons_at_once_leave_one_active(ogi, tmp_path):
    env = dict(os.environ)
    procs, outs, errs = [], [], []
    for i in range(2):
        out, err = tmp_path / f"d{i}.out", tmp_path / f"d{i}.err"
        outs.append(out)
        errs.append(err)
        procs.append(subprocess.Popen([str(OGI), "scheduler", "run", "--interval", "60", "--max-runtime", "90"],
                                      stdout=out.open("w"), stderr=err.open("w"), env=env, cwd=str(tmp_path)))
    try:
        end = time.monotonic() + 60
        while time.monotonic() < end and all(p.poll() is None for p in procs):
            time.sleep(0.05)
        done = [i for i, p in enumerate(procs) if p.poll() is not None]
        assert len(done) == 1, f"expected exactly one daemon to give up, got {done}"
        loser = done[0]
        winner = 1 - loser
        assert procs[loser].returncode == 1
        lost = errs[loser].read_text("utf-8")
        assert "已有一个提醒守护进程在运行" in lost and "Traceback" not in lost
        # the survivor runs its first round (sweep + send) ...
        _wait_for(lambda: "扫描：" in outs[winner].read_text("utf-8"), 60, "the first round")
        assert procs[winner].poll() is None
        # ... and stops cleanly on SIGTERM
        procs[winner].send_signal(signal.SIGTERM)
        assert procs[winner].wait(timeout=30) == 0
        log = outs[winner].read_text("utf-8")
        assert "提醒守护进程已启动" in log and "提醒守护进程已停止" in log
        assert "Traceback" not in errs[winner].read_text("utf-8")
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait(10)
    # the lock went with it: the next daemon starts at once
    r = ogi("scheduler", "run", "--once")
    assert r.exit_code == 0, r.stderr
    assert "扫描：" in r.stdout


def test_held_lock_refuses_in_process_and_max_runtime_ends_cleanly(ogi):
    from ogi.engine.notify.scheduler import InstanceLock

    lock = InstanceLock(ogi.url)
    assert lock.acquire()
    try:
        assert lock.alive()
        r = ogi("scheduler", "run", "--once", "--json")
        assert r.exit_code == 1 and "已有一个提醒守护进程在运行" in r.stderr
        assert r.json["error"] == "already_running"
    finally:
        lock.release()
    started = time.monotonic()
    r = ogi("scheduler", "run", "--interval", "60", "--max-runtime", "0.3")
    assert r.exit_code == 0, r.stderr
    assert "已达到最长运行时间" in r.stdout and "提醒守护进程已停止" in r.stdout
    assert time.monotonic() - started < 30


def test_scheduler_job_settings_follow_the_design():
    """One job, coalesce, max_instances=1, a large misfire grace time, an in-memory job store."""
    from apscheduler.jobstores.memory import MemoryJobStore

    from ogi.engine.notify.scheduler import MISFIRE_GRACE_SECONDS, build_scheduler

    sched = build_scheduler(lambda: None, interval_minutes=30)
    sched.start(paused=True)
    try:
        (job,) = sched.get_jobs()
        assert job.coalesce is True and job.max_instances == 1
        assert job.misfire_grace_time == MISFIRE_GRACE_SECONDS >= 3600
        assert job.trigger.interval.total_seconds() == 1800
        assert isinstance(sched._lookup_jobstore("default"), MemoryJobStore)
    finally:
        sched.shutdown(wait=False)
