"""The agency's log in the reports and the daemon (issue 15, items 5 and 8): the scheduler's
round signs at most one checkpoint a calendar day when the log grew (only with a signing key;
without one, nothing and no error); the annual report, the dashboard and the dossier name the
newest checkpoint they were made from, or say there is none."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from legal_support import answer, no_letters, register, sql, step


def checkpoints(ogi) -> list[tuple]:
    return sql(ogi, "SELECT size, root, made_by, note FROM ledger_checkpoint ORDER BY id")


def leaves(ogi) -> int:
    return sql(ogi, "SELECT COUNT(*) FROM ledger_leaf")[0][0]


# --------------------------------------------------------------------------- the daemon's checkpoint

def test_round_without_key_makes_no_checkpoint(ogi, monkeypatch):
    no_letters(monkeypatch)
    a = register(ogi, "2026-09-24")
    step(ogi, a, "accept", "2026-09-25")
    r = ogi("scheduler", "run", "--once")
    assert r.exit_code == 0, r.stderr
    assert checkpoints(ogi) == []


def test_round_signs_once_a_day_when_the_log_grew(ogi, monkeypatch, tmp_path):
    no_letters(monkeypatch)
    ogi.ok("audit", "key", user="admin")
    assert ogi("scheduler", "run", "--once").exit_code == 0
    assert checkpoints(ogi) == []                      # an empty log: nothing to sign
    a = register(ogi, "2026-09-24")
    step(ogi, a, "accept", "2026-09-25")
    r = ogi("scheduler", "run", "--once")
    assert r.exit_code == 0 and "已签发本日日志检查点" in r.stdout, r.stdout
    cps = checkpoints(ogi)
    assert len(cps) == 1 and cps[0][0] == leaves(ogi) and cps[0][2] == "system:scheduler"
    # The note verifies against the log like a checkpoint an officer made.
    note = tmp_path / "auto.txt"
    note.write_text(cps[0][3], encoding="utf-8")
    v = ogi("audit", "verify", "--checkpoint", str(note), "--json", user="zhao")
    assert v.exit_code == 0 and v.json["ok"], v.stdout
    # Same day: no second one, even after more steps.
    step(ogi, a, "propose", "2026-10-09", outcome="disclose")
    assert ogi("scheduler", "run", "--once").exit_code == 0
    assert len(checkpoints(ogi)) == 1
    # The next day: one more, covering the day's steps.
    import ogi.engine.identity as identity

    tomorrow = identity.now_shanghai() + dt.timedelta(days=1)
    monkeypatch.setattr(identity, "now_shanghai", lambda: tomorrow)
    assert ogi("scheduler", "run", "--once").exit_code == 0
    cps = checkpoints(ogi)
    assert len(cps) == 2 and cps[1][0] == leaves(ogi) > cps[0][0]
    # The day after, with nothing new logged: none.
    later = tomorrow + dt.timedelta(days=1)
    monkeypatch.setattr(identity, "now_shanghai", lambda: later)
    assert ogi("scheduler", "run", "--once").exit_code == 0
    assert len(checkpoints(ogi)) == 2


# --------------------------------------------------------------------------- reports name their checkpoint

def test_reports_say_no_checkpoint(ogi, monkeypatch, tmp_path):
    no_letters(monkeypatch)
    a = register(ogi, "2026-09-24")
    answer(ogi, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    r = ogi.json("report", "annual", "--year", "2026", user="zhao")
    assert r["checkpoint"] is None
    assert "尚无检查点" in ogi.ok("report", "annual", "--year", "2026", user="zhao").stdout
    assert "尚无检查点" in ogi.ok("report", "annual", "--year", "2026", "--html", user="zhao").stdout
    out = tmp_path / "d.html"
    r = ogi.ok("report", "dashboard", "--out", str(out), user="zhao")
    assert "尚无检查点" in r.stdout and "尚无检查点" in out.read_text(encoding="utf-8")
    d = json.loads(ogi.ok("audit", "export", str(a), "--format", "json", user="zhao").stdout)
    assert d["checkpoint"] is None
    assert "尚无检查点" in ogi.ok("audit", "export", str(a), "--format", "csv", user="zhao").stdout


def test_reports_name_the_newest_checkpoint(ogi, monkeypatch, tmp_path):
    no_letters(monkeypatch)
    ogi.ok("audit", "key", user="admin")
    a = register(ogi, "2026-09-24")
    answer(ogi, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    ogi.ok("audit", "checkpoint", "--out", str(tmp_path / "cp1.txt"), user="zhao")
    b = register(ogi, "2026-09-25", "李四")
    step(ogi, b, "accept", "2026-09-28")
    ogi.ok("audit", "checkpoint", "--out", str(tmp_path / "cp2.txt"), user="zhao")
    size, root = sql(ogi, "SELECT size, root FROM ledger_checkpoint ORDER BY id DESC LIMIT 1")[0]
    line = f"日志检查点：{size} 条，根哈希 {root[:16]}"

    r = ogi.json("report", "annual", "--year", "2026", user="zhao")
    assert r["checkpoint"]["size"] == size and r["checkpoint"]["root"] == root and r["checkpoint"]["time"]
    assert line in ogi.ok("report", "annual", "--year", "2026", user="zhao").stdout
    assert line in ogi.ok("report", "annual", "--year", "2026", "--html", user="zhao").stdout
    assert line in ogi.ok("report", "annual", "--year", "2026", "--csv", user="zhao").stdout
    pdf = tmp_path / "annual.pdf"
    ogi.ok("report", "annual", "--year", "2026", "--pdf", "--out", str(pdf), user="zhao")
    assert pdf.read_bytes().startswith(b"%PDF")

    out = tmp_path / "d.html"
    r = ogi.ok("report", "dashboard", "--out", str(out), user="zhao")
    assert line in r.stdout and line in out.read_text(encoding="utf-8")
    j = ogi.json("report", "dashboard", "--out", str(tmp_path / "d2.html"), user="zhao")
    assert j["checkpoint"]["size"] == size

    d = json.loads(ogi.ok("audit", "export", str(a), "--format", "json", user="zhao").stdout)
    assert d["checkpoint"]["size"] == size and d["checkpoint"]["root"] == root
    assert line in ogi.ok("audit", "export", str(a), "--format", "csv", user="zhao").stdout
    pdf = tmp_path / "dossier.pdf"
    ogi.ok("audit", "export", str(a), "--format", "pdf", "--out", str(pdf), user="zhao")
    assert pdf.read_bytes().startswith(b"%PDF")
