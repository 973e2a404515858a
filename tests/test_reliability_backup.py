"""Backup and restore: `ogi backup` takes a verified, consistent copy while clerks keep working;
`ogi restore` checks the file before it replaces anything, keeps the replaced database as .bak,
and the restored database re-walks clean (`ogi audit verify` and history.verify_chain)."""
from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

import pytest
from conftest import require_postgres

from reliability_support import (Instance, audit_database, run_cli, snapshot, sqlite_integrity,
                                 start_worker, wait_ready)


@pytest.fixture
def inst():
    i = Instance.create("sqlite")
    yield i
    i.close()


def work(n: int, *, first_day: str = "2026-09-24") -> list[int]:
    """n cases registered and accepted (receipt letters rendered)."""
    ids = []
    for _ in range(n):
        r = run_cli(["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
                     "--received", first_day, "--description", "某道路改造工程立项批复", "--json"])
        assert r.exit_code == 0, r.output
        ids.append(r.json["id"])
        assert run_cli(["case", "accept", str(ids[-1]), "--date", first_day]).exit_code == 0
    return ids


def chains_verify(url: str) -> None:
    """Re-walk every chain directly (engine/cases/history.py verify_chain over events_of)."""
    from sqlmodel import Session, select

    from ogi.engine.cases.steps import events_of
    from ogi.engine.store.db import get_engine
    from ogi.engine.cases.history import verify_chain
    from ogi.engine.store.tables import Case

    with Session(get_engine(url)) as s:
        ids = s.exec(select(Case.id)).all()
        for cid in ids:
            events = events_of(s, cid)
            assert events and verify_chain(events) is None, cid
    a = audit_database(url)
    assert not a.problems, a.problems


def test_backup_while_clerks_keep_working(inst, tmp_path):
    """Three online backups while another process registers and closes cases: each backup is a
    consistent snapshot (integrity ok, every chain verifies, case rows equal their history)."""
    p = start_worker(inst, {"mode": "lifecycle", "cases": 6, "render": False, "go_file": str(tmp_path / "go")})
    wait_ready(p)
    (tmp_path / "go").touch()
    backups, timings = [], []
    time.sleep(0.3)
    for i in range(3):
        out = tmp_path / f"b{i}.db"
        t0 = time.perf_counter()
        r = run_cli(["backup", "--out", str(out), "--json"], user="admin")
        timings.append(time.perf_counter() - t0)
        assert r.exit_code == 0, r.output
        assert r.json["verified"] and r.json["file"] == str(out)
        backups.append((out, r.json["cases"], r.json["events"]))
        time.sleep(0.4)
    out_, err = p.communicate(timeout=120)
    assert p.returncode == 0, err[-2000:]
    writes = [json.loads(line) for line in out_.splitlines() if line.startswith("{") and "argv" in line]
    assert writes and all(w["rc"] == 0 for w in writes), [w["stderr"] for w in writes if w["rc"]]
    counts = []
    for path, cases, events in backups:
        assert sqlite_integrity(path) == "ok"
        assert not Path(f"{path}-wal").exists()
        con = sqlite3.connect(str(path))
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
        con.close()
        chains_verify(f"sqlite:///{path}")
        counts.append((cases, events))
    assert counts == sorted(counts)  # later backups never hold less
    print(f"\n[sqlite] 3 online backups during {len(writes)} concurrent writes: (cases, events) {counts}; "
          f"backup took {', '.join(f'{t:.2f}' for t in timings)} s")


def test_restore_checks_first_keeps_bak_and_rewalks(inst, tmp_path):
    work(2)
    backup = tmp_path / "before.db"
    r = run_cli(["backup", "--out", str(backup), "--json"], user="admin")
    assert r.exit_code == 0, r.output
    saved = snapshot(f"sqlite:///{backup}")
    work(2, first_day="2026-10-09")  # work done after the backup
    live_before = snapshot(inst.url)
    # without --yes: the file is checked, nothing is replaced
    r = run_cli(["restore", str(backup)], user="admin")
    assert r.exit_code == 1 and "--yes" in r.stderr and "核验通过" in r.stderr, r.output
    assert snapshot(inst.url) == live_before and not list(inst.home.glob("*.bak"))
    assert run_cli(["restore", str(backup), "--yes"], user="li").exit_code == 1  # admin only
    # with --yes
    r = run_cli(["restore", str(backup), "--yes", "--json"], user="admin")
    assert r.exit_code == 0, r.output
    out = r.json
    assert out["restored"] and out["after"]["cases"] == 2 and out["current_cases"] == 4
    restored = snapshot(inst.url)
    # exactly the backup's content, plus the `restore` leaf in the agency's log (issue 15) and the
    # log's counter that numbered it
    assert restored.keys() == saved.keys()
    assert {k for k in saved if restored[k] != saved[k]} <= {"ledger_leaf", "counter"}
    con = sqlite3.connect(inst.url.removeprefix("sqlite:///"))
    assert con.execute("SELECT kind FROM ledger_leaf ORDER BY idx DESC LIMIT 1").fetchone() == ("restore",)
    con.close()
    bak = Path(out["kept_as"])
    assert bak.exists() and snapshot(f"sqlite:///{bak}") == live_before  # the replaced database, whole
    assert backup.read_bytes() and sqlite_integrity(backup) == "ok"  # the backup file itself untouched
    # every chain re-walked on the restored database
    chains_verify(inst.url)
    r = run_cli(["audit", "verify", "--json"], user="zhao")
    assert r.exit_code == 0 and r.json["ok"], r.output
    # work continues where the backup left off: numbers stay gap-free
    new = run_cli(["case", "register", "--applicant", "王五", "--applicant-type", "natural", "--channel", "in_person",
                   "--received", "2026-10-09", "--description", "x", "--json"])
    assert new.exit_code == 0 and new.json["number"] == "2026-0003", new.output
    chains_verify(inst.url)


def _tamper(copy: Path) -> None:
    """Edit one history row behind the engine's back (dropping the append-only trigger first)."""
    con = sqlite3.connect(str(copy))
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    con.execute("UPDATE history_event SET reason = '改过' WHERE id = (SELECT min(id) FROM history_event)")
    con.commit()
    con.close()


def test_restore_refuses_bad_files(inst, tmp_path):
    work(1)
    good = tmp_path / "good.db"
    assert run_cli(["backup", "--out", str(good)], user="admin").exit_code == 0
    bad = {}
    bad["text"] = tmp_path / "notes.txt"
    bad["text"].write_text("这不是数据库", "utf-8")
    bad["foreign"] = tmp_path / "other.db"
    con = sqlite3.connect(str(bad["foreign"]))
    con.execute("CREATE TABLE t (x)")
    con.commit()
    con.close()
    bad["truncated"] = tmp_path / "truncated.db"
    bad["truncated"].write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    bad["corrupt"] = tmp_path / "corrupt.db"
    data = bytearray(good.read_bytes())
    for i in range(8192, len(data), 4096):  # scribble over the b-tree header of every page after the first two
        data[i:i + 100] = b"\xff" * 100
    bad["corrupt"].write_bytes(bytes(data))
    bad["tampered"] = tmp_path / "tampered.db"
    shutil.copyfile(good, bad["tampered"])
    _tamper(bad["tampered"])
    bad["missing"] = tmp_path / "nowhere.db"
    before = snapshot(inst.url)
    for label, path in bad.items():
        r = run_cli(["restore", str(path), "--yes"], user="admin")
        out = r.stdout + r.stderr
        assert r.exit_code == 1, (label, out)
        assert "Traceback" not in out and len(r.stderr.strip().splitlines()) == 1, (label, out)
        assert snapshot(inst.url) == before, label
        assert not list(inst.home.glob("*.bak")), label
        assert not list(inst.home.glob(".ogi.db.restore-*")), label  # the private copy is cleaned up
        print(f"\n  {label}: {r.stderr.strip()[:120]}")
    assert "办理记录" in run_cli(["restore", str(bad["tampered"]), "--yes"], user="admin").stderr
    # a backup never overwrites an existing file
    r = run_cli(["backup", "--out", str(good)], user="admin")
    assert r.exit_code == 1 and "已存在" in r.stderr


@pytest.mark.postgres
def test_postgres_recipe_masks_the_password_and_works(tmp_path):
    """On PostgreSQL `ogi backup` and `ogi restore DUMP` print the pg_dump / createdb / pg_restore
    recipe (exit 0) with the password masked."""
    require_postgres()
    inst = Instance.create("postgres")
    try:
        work(2)
        secret_url = inst.url.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores it
        inst.env["OGI_DATABASE_URL"] = secret_url
        inst.activate()
        r = run_cli(["backup", "--out", str(tmp_path / "ogi.dump")], user="admin")
        assert r.exit_code == 0, r.output
        assert "s3cret-pw" not in r.output and "postgres:***@" in r.output and "pg_dump" in r.output
        rj = run_cli(["backup", "--out", str(tmp_path / "ogi.dump"), "--json"], user="admin").json
        assert rj["backend"] == "postgresql" and not rj["ran"] and "s3cret-pw" not in json.dumps(rj)
        assert run_cli(["backup"], user="li").exit_code == 1
        rr = run_cli(["restore", str(tmp_path / "ogi.dump"), "--json"], user="admin")
        # pg_restore goes into a new staging database, which `ogi restore URL` then checks against
        # the newest checkpoint: run end to end in tests/test_ledger_restore_pg.py.
        assert rr.exit_code == 0 and any(line.startswith("pg_restore") for line in rr.json["recipe"])
        assert "s3cret-pw" not in json.dumps(rr.json) and any(l.startswith("ogi restore") for l in rr.json["recipe"])
    finally:
        inst.close()
