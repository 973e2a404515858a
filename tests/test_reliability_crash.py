"""Crash safety: a process killed with SIGKILL in the middle of its work leaves a consistent
database, the next run completes the work, and no half-written letter is ever recorded.

Two kinds of kill, on a SQLite file and on PostgreSQL:
- at named points (fault injection): inside a step's transaction after the event and the 文号
  were written but before the commit; halfway through writing a PDF; after the PDF was renamed
  into place but before its hash was recorded;
- at random moments: a worker pushes cases from registration to delivery (rendering every
  letter) and is killed after a short delay drawn from a fixed seed, several times over.

After every kill: SQLite `PRAGMA integrity_check` is ok, every chain verifies, every case row
equals the replay of its history (state, outcome, cached due dates), 文号 and case numbers are
gap-free, and every letter recorded as rendered is a complete PDF whose SHA-256 is the one in the
history. Then a fresh run finishes every case and renders every pending letter.
"""
from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import time
from pathlib import Path

import pytest
from conftest import require_postgres

from reliability_support import (Instance, audit_database, run_cli, settle, sqlite_integrity,
                                 start_worker, wait_ready)

SEED = 20261231


def check_consistent(inst: Instance, *, finished: bool = False) -> dict:
    """Everything a crash must not break. Returns a few numbers for the test output."""
    settle(inst.url)
    if inst.backend == "sqlite":
        assert sqlite_integrity(inst.home / "ogi.db") == "ok"
    audit = audit_database(inst.url)
    assert not audit.problems, audit.problems
    verified = run_cli(["audit", "verify", "--json"], user="zhao")  # counters vs rows, letter files
    assert verified.exit_code == 0 and verified.json["ok"], verified.output[-2000:]
    from sqlalchemy import text

    with inst.engine().connect() as c:
        if inst.backend == "postgres":
            c.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
        letters = c.execute(text("SELECT id, status, path, sha256 FROM letter ORDER BY id")).all()
        events = c.execute(text("SELECT data FROM history_event WHERE action = 'letter_rendered'")).all()
        states = dict(c.execute(text("SELECT state, count(*) FROM cases GROUP BY state")).all())
    recorded = {}
    for (data,) in events:
        d = json.loads(data)
        recorded.setdefault(d["letter_id"], []).append(d)
        assert ".tmp-" not in d["path"], d
        body = Path(d["path"]).read_bytes()  # every recorded file exists, whole and unchanged
        assert hashlib.sha256(body).hexdigest() == d["sha256"], f"recorded file {d['path']} differs from its hash"
        assert body.startswith(b"%PDF-") and b"%%EOF" in body[-64:], f"recorded file {d['path']} is not a complete PDF"
        assert len(body) == d["bytes"]
    for lid, status, path, sha in letters:
        if status == "rendered":
            assert recorded.get(lid), f"letter {lid} marked rendered without a history record"
            assert recorded[lid][-1]["sha256"] == sha and recorded[lid][-1]["path"] == path
        elif finished:
            raise AssertionError(f"letter {lid} still {status} after the recovery run")
    if finished:
        assert set(states) == {"answered"}, states
    tmp_left = sorted(p.name for p in (inst.home / "letters").rglob(".*.tmp-*")) if (inst.home / "letters").exists() else []
    return {"cases": audit.cases, "events": audit.events, "letters": len(letters),
            "rendered": sum(1 for l in letters if l[1] == "rendered"), "states": states, "tmp_left": tmp_left}


def run_to_death(inst: Instance, plan: dict, *, kill_after: float | None = None) -> tuple[list[dict], int]:
    """Start a worker; kill it after `kill_after` seconds (or let a kill point do it)."""
    p = start_worker(inst, plan)
    wait_ready(p)
    if kill_after is not None:
        time.sleep(kill_after)
        if p.poll() is None:
            os.kill(p.pid, signal.SIGKILL)
    out, err = p.communicate(timeout=120)
    records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for r in records:
        if "argv" in r:
            assert "Traceback" not in r["stderr"] + r.get("raw", ""), r
    return records, p.returncode


def recover(inst: Instance) -> list[dict]:
    """The next run: push every case to delivery and render every pending letter."""
    records, code = run_to_death(inst, {"mode": "drive"})
    assert code == 0 and records[-1].get("done"), records[-3:]
    failed = [r for r in records if "argv" in r and r["rc"] != 0]
    assert not failed, [(r["argv"], r["stderr"]) for r in failed]
    return records


@pytest.mark.parametrize("backend,where", [
    ("sqlite", "in_step"), ("sqlite", "letter_half"), ("sqlite", "letter_renamed"),
    # the letter points concern files, not the database: on PostgreSQL the transaction one
    pytest.param("postgres", "in_step", marks=pytest.mark.postgres)])
def test_kill_at_named_points(backend, where):
    """The worker registers a case and drives it; the kill point fires at its first chance."""
    if backend == "postgres":
        require_postgres()
    inst = Instance.create(backend)
    try:
        _named_point(inst, where)
    finally:
        inst.close()


def _named_point(inst: Instance, where: str) -> None:
    records, code = run_to_death(inst, {"mode": "drive", "register": 1, "kill_at": where})
    assert code == -signal.SIGKILL, (code, records[-2:])
    before = check_consistent(inst)
    assert before["cases"] == 1 and before["states"] == {"registered": 1}
    if where == "in_step":
        # acceptance died before its commit: no event, no state change, the registration intact
        assert before["events"] == 2 and before["rendered"] == 1  # register + its receipt
    else:
        assert before["events"] == 1 and before["rendered"] == 0  # the step is kept, its letter pending
    if where == "letter_half":
        assert before["tmp_left"], "the half-written temporary file should be there (and unrecorded)"
    recover(inst)
    after = check_consistent(inst, finished=True)
    print(f"\n[{inst.backend}] kill at {where}: before recovery {before}; after {after}")


def test_kill_at_random_moments(inst):
    """Kill a busy worker at random moments (fixed seed), several times; then finish the work."""
    rng = random.Random(SEED)
    rounds = 4 if inst.backend == "sqlite" else 2
    log = []
    for i in range(rounds):
        delay = round(rng.uniform(0.05, 1.5), 3)
        records, code = run_to_death(inst, {"mode": "drive", "register": 3 if i == 0 else 1}, kill_after=delay)
        done = sum(1 for r in records if "argv" in r)
        numbers = check_consistent(inst)
        log.append((delay, code, done, numbers["cases"], numbers["events"], numbers["rendered"], numbers["letters"]))
    t0 = time.perf_counter()
    recover(inst)
    final = check_consistent(inst, finished=True)
    print(f"\n[{inst.backend}] {rounds} random SIGKILLs (delay s, exit, commands done, cases, events, "
          f"letters rendered/allocated): {log}; recovery run {time.perf_counter() - t0:.1f} s -> {final['cases']} cases "
          f"answered, {final['rendered']}/{final['letters']} letters rendered, {len(final['tmp_left'])} orphan temp files")
    assert final["cases"] >= 1


def test_failed_rendering_never_fails_a_committed_step(monkeypatch):
    """Rendering follows the commit: if it fails in any way, the step still reports success (a
    clerk told "not saved" would repeat it: a second extension, a second letter), the letter stays
    pending, and `ogi letter render` finishes it later."""
    inst = Instance.create("sqlite")
    try:
        from ogi.engine.cases import documents as letters_service

        def broken(case_id=None):
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(letters_service, "render_pending", broken)
        r = run_cli(["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
                     "--received", "2026-09-24", "--description", "x", "--json"])
        assert r.exit_code == 0, r.output
        assert r.json["letters_rendered"] and "ogi letter render" in r.json["letters_rendered"][0]["error"]
        assert run_cli(["case", "accept", "1", "--date", "2026-09-25"]).exit_code == 0
        assert run_cli(["case", "extend", "1", "--workdays", "5", "--reason", "r", "--date", "2026-10-09"],
                       user="wang").exit_code == 0
        assert check_consistent(inst)["rendered"] == 0
        monkeypatch.undo()
        assert run_cli(["letter", "render", "1"]).exit_code == 0
        assert check_consistent(inst)["rendered"] == 2
    finally:
        inst.close()
