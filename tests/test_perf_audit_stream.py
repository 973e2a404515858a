"""`audit verify` walks cases, histories and letters side by side, one case at a time (memory does
not grow with the record), and a dossier checks its own case only. Behaviour, not time: every
problem lands on the right case however the tampered rows interleave, and the scoped check of
one case says exactly what the full check says about it."""
from __future__ import annotations

import json
from array import array

import pytest

from legal_support import answer, drop_history_triggers, no_letters, register, sql


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def _verify(case_id=None, progress=None):
    from ogi.engine.legal.audit import snapshot, verify_session
    from ogi.engine.config import load_config
    from ogi.engine.store.db import read_session

    with read_session() as s:
        snapshot(s)
        return verify_session(s, load_config(), progress, case_id=case_id)


def test_problems_land_on_their_case_when_streams_interleave(fast, backend):
    ids = [register(fast, "2026-09-24", name) for name in ("张三", "李四", "王五", "赵六", "钱七")]
    a, b, c, d, e = ids
    for cid in (a, b, d):
        answer(fast, cid, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    calls = []
    r = _verify(progress=lambda done, total: calls.append((done, total)))
    assert r["ok"] and r["cases"] == 5 and r["letters"] == 3 * 3 + 2 and calls[-1] == (5, 5)
    drop_history_triggers(fast, backend)
    # b: its whole history goes (its letters stay and now point at nothing).
    no_fk = ["SET LOCAL session_replication_role = replica"] if backend == "postgres" else []  # FKs off, as an attacker would
    sql(fast, *no_fk, f"DELETE FROM history_event WHERE case_id = {b}")
    # d: its reply letter re-pointed at an event of case a (it exists, but in another case).
    a_event = sql(fast, f"SELECT id FROM history_event WHERE case_id = {a} AND seq = 5")[0][0]
    sql(fast, f"UPDATE letter SET event_id = {a_event} WHERE case_id = {d} AND kind = 'reply'")
    # c: the case row goes; its history and receipt letter stay (orphans): a gap in the case numbers.
    sql(fast, f"DELETE FROM letter WHERE case_id = {c}", f"DELETE FROM history_event WHERE case_id = {c}",
        f"DELETE FROM cases WHERE id = {c}")
    r = _verify()
    assert not r["ok"] and r["cases"] == 4
    got = [(x["case_id"], x["kind"]) for x in r["broken"]]
    receipt_gap = [x for x in r["broken"] if x["kind"] == "numbering" and "文书" in x["problem"]]
    assert ("numbering" in {k for _, k in got}) and any("2026-0003 缺失" in x["problem"] for x in r["broken"])
    assert len(receipt_gap) == 1  # c's receipt number
    assert (b, "history") in got and [k for cid, k in got if cid == b].count("letter") == 3
    assert [k for cid, k in got if cid == d] == ["letter"]
    assert all(cid not in (a, e) for cid, _ in got)
    d_letter = next(x for x in r["broken"] if x["case_id"] == d)
    assert f"#{a_event}" in d_letter["problem"] and "不存在" in d_letter["problem"]

    # One case alone (what a dossier runs): the same findings for that case, nothing else.
    for cid in (a, b, d, e):
        one = _verify(case_id=cid)
        assert one["cases"] == 1
        assert one["broken"] == [x for x in r["broken"] if x["case_id"] == cid]


def test_dossier_integrity_is_that_of_its_case(fast, backend):
    a = register(fast, "2026-09-24")
    b = register(fast, "2026-09-24", "李四")
    drop_history_triggers(fast, backend)
    sql(fast, f"UPDATE history_event SET actor = 'wang' WHERE case_id = {b} AND seq = 1")
    da = json.loads(fast.ok("audit", "export", str(a), "--format", "json", user="zhao").stdout)
    db = json.loads(fast.ok("audit", "export", str(b), "--format", "json", user="zhao").stdout)
    assert da["integrity"] == {"ok": True, "broken": []}
    assert db["integrity"]["ok"] is False and [x["seq"] for x in db["integrity"]["broken"]] == [1]


def test_missing_numbers_do_not_depend_on_the_counter_size():
    from ogi.engine.legal.audit import _missing

    assert _missing(array("q", [1, 2, 4, 4, 7]), 8) == [3, 5, 6, 8]
    assert _missing(array("q", [3, 1, 2]), 3) == [] and _missing(None, 3) == [1, 2, 3]
    assert _missing(array("q", [0, -5, 2, 9]), 3) == [1, 3]  # out of range: ignored
    # A counter tampered up to 10^12: the first 20 missing numbers, without a 10^12-element set.
    assert _missing(array("q", [1, 2, 3]), 10**12) == list(range(4, 24))
