"""`ogi restore FILE --yes [--checkpoint CP]` against the agency's log (issue 15, item 2): a
backup whose log does not extend the newest checkpoint (given as a file, or the newest one the
current database recorded) is refused with nothing changed; a restore that passes appends a
`restore` leaf (the backup's SHA-256, its log size and root, who, when) and verifies clean.

SQLite only: backup and restore work on the SQLite file. PostgreSQL restores into a staging
database checked by `ogi restore URL`: tests/test_ledger_restore_pg.py."""
from __future__ import annotations

import json
import sqlite3

import pytest

from legal_support import no_letters, register, sql, step


@pytest.fixture
def inst(ogi_sqlite, monkeypatch):
    no_letters(monkeypatch)
    ogi_sqlite.ok("audit", "key", user="admin")
    return ogi_sqlite


def leaves(ogi) -> int:
    return sql(ogi, "SELECT COUNT(*) FROM ledger_leaf")[0][0]


def backup(ogi, path):
    r = ogi.ok("backup", "--out", str(path), "--json", user="admin")
    return r.json


def checkpoint(ogi, path):
    ogi.ok("audit", "checkpoint", "--out", str(path), user="zhao")
    return path


def state(ogi):
    return (sql(ogi, "SELECT COUNT(*) FROM cases")[0][0], leaves(ogi),
            sql(ogi, "SELECT COUNT(*) FROM ledger_checkpoint")[0][0])


def refused(ogi, *args) -> str:
    r = ogi("restore", *args, user="admin")
    assert r.exit_code == 1, r.stdout
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    return r.stderr


def test_older_tampered_and_good_backups(inst, tmp_path):
    a = register(inst, "2026-09-24")
    step(inst, a, "accept", "2026-09-25")
    old = tmp_path / "old.db"
    backup(inst, old)                                  # before the checkpoint's steps
    b = register(inst, "2026-09-25", "李四")
    step(inst, b, "accept", "2026-09-28")
    cp = checkpoint(inst, tmp_path / "cp.txt")
    step(inst, a, "propose", "2026-10-09", outcome="disclose")
    good = tmp_path / "good.db"
    backup(inst, good)                                 # extends the checkpoint
    bad = tmp_path / "bad.db"
    bad.write_bytes(good.read_bytes())
    con = sqlite3.connect(bad)
    con.execute("DROP TRIGGER IF EXISTS ledger_leaf_no_update")
    con.execute("UPDATE ledger_leaf SET leaf_hash = ? WHERE idx = 1", ("ab" * 32,))
    con.commit()
    con.close()
    register(inst, "2026-10-09", "王五")               # work after the good backup
    before = state(inst)

    # An older backup: fewer leaves than the newest checkpoint the database recorded.
    err = refused(inst, str(old), "--yes")
    assert "备份早于检查点，恢复将丢失检查点已证明的记录" in err and "当前数据库未被改动" in err
    # ... and against the checkpoint file the legal office kept.
    assert "备份早于检查点" in refused(inst, str(old), "--yes", "--checkpoint", str(cp))
    # Refused even before --yes (the check comes first).
    assert "备份早于检查点" in refused(inst, str(old))
    # A backup with a rewritten leaf inside the checkpoint's range.
    err = refused(inst, str(bad), "--yes")
    assert "与检查点的根哈希不符" in err
    assert "与检查点的根哈希不符" in refused(inst, str(bad), "--yes", "--checkpoint", str(cp))
    assert state(inst) == before                       # nothing changed
    assert not list(tmp_path.glob("**/ogi.db.*.bak"))

    # The good backup: restored, the restore leaf appended, the log verifies (also against cp).
    r = inst.ok("restore", str(good), "--yes", user="admin")
    assert "日志延续当前数据库中最新的检查点" in r.stdout and "记录本次恢复" in r.stdout
    got = sql(inst, "SELECT idx, body FROM ledger_leaf WHERE kind = 'restore'")
    assert len(got) == 1
    idx, body = got[0]
    body = json.loads(body)
    con = sqlite3.connect(good)
    size = con.execute("SELECT COUNT(*) FROM ledger_leaf").fetchone()[0]
    con.close()
    assert idx == size and body["size"] == size and body["actor"] == "admin"
    import hashlib

    assert body["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert body["checkpoint"]["size"] < size and body["recorded_at"]
    v = inst("audit", "verify", "--json", user="zhao")
    assert v.exit_code == 0 and v.json["ok"], v.stdout
    v = inst("audit", "verify", "--checkpoint", str(cp), "--json", user="zhao")
    assert v.exit_code == 0 and v.json["ok"], v.stdout
    # Later steps are logged after the restore leaf.
    c = register(inst, "2026-10-10", "赵六")
    assert sql(inst, f"SELECT MAX(idx) FROM ledger_leaf")[0][0] > idx and c


def test_checkpoint_file_key_and_json(inst, tmp_path):
    a = register(inst, "2026-09-24")
    step(inst, a, "accept", "2026-09-25")
    cp = checkpoint(inst, tmp_path / "cp.txt")
    good = tmp_path / "good.db"
    backup(inst, good)
    # A wrong key: the checkpoint cannot be trusted, nothing is restored.
    other = "ogi/别的机构+01234567+AQ" + "A" * 42 + "="
    r = inst("restore", str(good), "--yes", "--checkpoint", str(cp), "--key", other, user="admin")
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    # --key without --checkpoint
    assert "--checkpoint" in refused(inst, str(good), "--yes", "--key", other)
    # Preview (no --yes) says the log extends the checkpoint.
    r = inst("restore", str(good), "--checkpoint", str(cp), user="admin")
    assert r.exit_code == 1 and "日志延续检查点" in r.stderr
    r = inst.ok("restore", str(good), "--yes", "--checkpoint", str(cp), "--json", user="admin")
    j = r.json
    assert j["restored"] and j["checkpoint"]["source"] == "file" and j["log"]["size"] >= j["checkpoint"]["size"]
    assert j["restore_leaf"]["idx"] == j["log"]["size"]
    assert inst("audit", "verify", "--checkpoint", str(cp), "--json", user="zhao").exit_code == 0


def test_no_checkpoint_restores_and_logs(inst, tmp_path):
    a = register(inst, "2026-09-24")
    step(inst, a, "accept", "2026-09-25")
    good = tmp_path / "good.db"
    backup(inst, good)
    r = inst.ok("restore", str(good), "--yes", user="admin")
    assert "尚无检查点" in r.stdout
    assert sql(inst, "SELECT COUNT(*) FROM ledger_leaf WHERE kind = 'restore'")[0][0] == 1
    assert inst("audit", "verify", "--json", user="zhao").exit_code == 0


def test_checkpoints_of_the_replaced_database_are_kept(inst, tmp_path):
    """A checkpoint made after the backup (the backup still extends it, nothing was logged in
    between) is carried into the restored database, so later verifies still use it."""
    a = register(inst, "2026-09-24")
    step(inst, a, "accept", "2026-09-25")
    good = tmp_path / "good.db"
    backup(inst, good)
    checkpoint(inst, tmp_path / "cp.txt")
    inst.ok("restore", str(good), "--yes", user="admin")
    assert sql(inst, "SELECT COUNT(*) FROM ledger_checkpoint")[0][0] == 1
