"""letters: batch rendering (`ogi letter render --pending / --all`) on a pool of worker processes,
on SQLite and PostgreSQL. The PDFs are the same bytes as one-by-one rendering gives, each letter
is recorded once (one letter_rendered event, hash chains intact), a failing letter is recorded
as failed while the batch goes on, and the files are real PDFs read back."""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from legal_support import answer, register, step

pypdf = pytest.importorskip("pypdf")
if not shutil.which("pdftotext"):
    pytest.skip("poppler-utils (pdftotext) is not installed", allow_module_level=True)


def _rows(sql: str):
    from sqlalchemy import text

    from ogi.engine.store.db import get_engine

    with get_engine().connect() as c:
        return [tuple(r) for r in c.execute(text(sql))]


def letters() -> dict[int, dict]:
    return {i: {"kind": k, "number": n, "status": st, "sha256": sha, "path": p, "version": v, "error": err}
            for i, k, n, st, sha, p, v, err in _rows(
                "SELECT id, kind, number, status, sha256, path, rendered_version, last_error FROM letter ORDER BY id")}


def rendered_events() -> list[dict]:
    return [json.loads(d) for (d,) in _rows("SELECT data FROM history_event WHERE action = 'letter_rendered' ORDER BY id")]


def one_by_one_sha(letter_id: int) -> str:
    """The letter rendered alone in this process, from the same history (what `render_letter` makes)."""
    from ogi.engine.config import load_config
    from ogi.engine.store.db import read_session
    from ogi.engine.cases.documents import build_context
    from ogi.engine.store.tables import Letter
    from ogi.letters import render_pdf

    with read_session() as s:
        ctx = build_context(s, load_config(), s.get(Letter, letter_id))
    return hashlib.sha256(render_pdf(ctx)).hexdigest()


def no_letters(monkeypatch):
    """Steps allocate their letters but leave them unrendered, until the returned function runs
    (not monkeypatch.undo(): that would also undo the instance's environment)."""
    from ogi.engine import api

    real = api.after_commit
    monkeypatch.setattr(api, "after_commit", lambda case_id: [])
    return lambda: monkeypatch.setattr(api, "after_commit", real)


@pytest.fixture
def pending(ogi, monkeypatch):
    """Ten letters of four kinds allocated by real steps and left unrendered."""
    letters_again = no_letters(monkeypatch)
    cids = [register(ogi, "2026-09-24", name=f"张{n}") for n in "一二三四五"]
    answer(ogi, cids[0], accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")  # reply, service receipt
    step(ogi, cids[1], "accept", "2026-09-25")
    step(ogi, cids[1], "extend", "2026-10-09", user="wang", reason="需要检索多个部门的档案", workdays=5)
    answer(ogi, cids[2], accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12", outcome="withhold_process",
           reason="该信息属于内部事务信息")
    letters_again()
    assert all(l["status"] == "pending" for l in letters().values()) and len(letters()) >= 9
    return ogi


def test_batch_uses_workers_and_matches_one_by_one(pending, monkeypatch):
    from ogi.engine.cases import documents as letters_service

    pids = []
    record = letters_service._record
    monkeypatch.setattr(letters_service, "_record", lambda prep, out, actor: (pids.append(out.pid), record(prep, out, actor))[1])
    before = letters()
    r = pending.json("letter", "render", "--pending", "--workers", "2")
    assert (r["total"], r["rendered"], r["unchanged"], r["failed"], r["workers"]) == (len(before), len(before), 0, 0, 2)
    assert [x["letter_id"] for x in r["letters"]] == sorted(before)  # reported (and recorded) in id order
    assert len(set(pids)) == 2 and os.getpid() not in pids, pids  # rendered in two worker processes

    after = letters()
    events = rendered_events()
    assert sorted(e["letter_id"] for e in events) == sorted(after)  # one event per letter, no duplicate
    for l in after.values():
        data = Path(l["path"]).read_bytes()
        assert l["status"] == "rendered" and l["version"] == 1 and not l["error"]
        assert hashlib.sha256(data).hexdigest() == l["sha256"], l["kind"]
        assert Path(l["path"]).with_suffix(".docx").is_file()
        assert len(pypdf.PdfReader(io.BytesIO(data)).pages) in (1, 2)
        text = "".join(subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode().split())
        assert l["number"] in text, l["kind"]
    assert {l["kind"] for l in after.values()} >= {"receipt", "reply", "service-receipt", "extension-notice"}

    # one by one in this process, through the per-case command: every letter comes out with the
    # same SHA-256 ("unchanged"), nothing new is recorded
    for (case,) in _rows("SELECT number FROM cases ORDER BY id"):
        out = pending.json("letter", "render", case)
        assert all(x["unchanged"] for x in (out if isinstance(out, list) else [out])), out
    assert rendered_events() == events and letters() == after

    # --all re-renders everything on the pool: all unchanged, no new version, no new event
    r = pending.json("letter", "render", "--all", "--workers", "2")
    assert (r["total"], r["rendered"], r["unchanged"], r["failed"]) == (len(after), 0, len(after), 0)
    assert rendered_events() == events and letters() == after
    assert "没有待生成的文书" in pending.ok("letter", "render", "--pending").stdout
    assert pending.json("audit", "verify", user="zhao")["ok"]


def test_in_process_batch_gives_the_same_records(pending):
    """--workers 1 renders in this process: same bytes as the pool, same single event per letter."""
    r = pending.json("letter", "render", "--pending", "--workers", "1")
    assert r["workers"] == 1 and r["failed"] == 0 and r["rendered"] == len(letters())
    assert all(l["sha256"] == one_by_one_sha(i) for i, l in letters().items())
    assert sorted(e["letter_id"] for e in rendered_events()) == sorted(letters())


def test_a_failing_letter_is_recorded_and_the_batch_goes_on(ogi, monkeypatch):
    letters_again = no_letters(monkeypatch)
    good = [register(ogi, "2026-09-24", name=f"李{n}") for n in "一二三"]
    bad = register(ogi, "2026-09-24", name="王𡒄")  # U+21484: in no installed face
    letters_again()
    r = ogi("letter", "render", "--pending", "--workers", "2", "--json")
    assert r.exit_code == 1, r.stderr
    out = r.json
    assert (out["total"], out["rendered"], out["failed"]) == (4, 3, 1)
    (failed,) = [x for x in out["letters"] if "error" in x]
    assert "U+21484" in failed["error"]
    rows = letters()
    assert rows[failed["letter_id"]]["status"] == "failed" and "U+21484" in rows[failed["letter_id"]]["error"]
    assert sum(1 for l in rows.values() if l["status"] == "rendered") == 3
    assert {e["letter_id"] for e in rendered_events()} == {i for i, l in rows.items() if l["status"] == "rendered"}
    assert len(good) == 3 and bad
    # a retry takes the failed letter again (and only it), and fails the same way
    plain = ogi("letter", "render", "--pending")
    assert plain.exit_code == 1 and "生成失败" in plain.stdout and "失败 1 件" in plain.stdout
    assert len(rendered_events()) == 3


def test_batch_options_are_checked(ogi_sqlite):
    for args, needle in ((["letter", "render"], "--pending"),
                         (["letter", "render", "--pending", "--all"], "只能选用一个"),
                         (["letter", "render", "--pending", "1", "receipt"], "不能与文书种类同时使用")):
        r = ogi_sqlite(*args)
        assert r.exit_code != 0 and needle in r.stderr + r.stdout, (args, r.stderr)
    r = ogi_sqlite("letter", "render", "--pending", user="zhao")
    assert r.exit_code != 0 and "权限" in r.stderr + r.stdout


def test_worker_count():
    from ogi.letters.batch import PARALLEL_MIN, worker_count

    cores = os.cpu_count() or 1
    assert worker_count(1) == worker_count(1, 4) == 0          # one letter: never a pool
    assert worker_count(PARALLEL_MIN - 1) == 0                  # too few to pay for the workers' start
    assert worker_count(500) == (cores if cores > 1 else 0)
    assert worker_count(3, 2) == 2 and worker_count(3, 8) == 3  # asked for: as many as there are letters
    assert worker_count(500, 1) == 0
