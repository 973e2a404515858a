"""The agency's log (issue 15): `ogi audit key`, `ogi audit checkpoint`, `ogi audit verify
--checkpoint`, on SQLite and PostgreSQL.

Cases go through several steps, a checkpoint is taken to a file (what the legal office keeps),
then the database is tampered with as an attacker with access to it would: the append-only
triggers of history_event and ledger_leaf are dropped or disabled first, then rows are deleted,
rewritten (chains and leaves recomputed to match) or inserted. `verify --checkpoint` must exit 1
with a Chinese finding each time; an untampered instance verifies after later steps."""
from __future__ import annotations

import json
import os

import pytest

from calendar_support import FAKE_2027
from legal_support import answer, no_letters, register, sql, step


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    ogi.ok("audit", "key", user="admin")
    return ogi


def seed(ogi) -> list[int]:
    a = register(ogi, "2026-09-24")
    answer(ogi, a, accept="2026-09-25", propose="2026-10-09", deliver="2026-10-12")
    b = register(ogi, "2026-09-24", "李四")
    step(ogi, b, "accept", "2026-09-25")
    c = register(ogi, "2026-09-25", "王五")
    step(ogi, c, "accept", "2026-09-28")
    step(ogi, c, "propose", "2026-10-09", outcome="disclose")
    return [a, b, c]


def checkpoint(ogi, tmp_path, name="cp.txt", user="zhao"):
    path = tmp_path / name
    r = ogi.ok("audit", "checkpoint", "--out", str(path), user=user)
    assert "已签发检查点" in r.stdout
    return path


def verify(ogi, *args):
    r = ogi("audit", "verify", *args, "--json", user="zhao")
    return r.exit_code, (r.json if r.stdout.strip().startswith("{") else None), r


def problems(r) -> list[str]:
    return [b["problem"] for b in r["broken"]]


def unlock(ogi, backend):
    """What an attacker with database access does first: the append-only triggers go."""
    if backend == "sqlite":
        sql(ogi, "DROP TRIGGER history_event_no_update", "DROP TRIGGER history_event_no_delete",
            "DROP TRIGGER ledger_leaf_no_update", "DROP TRIGGER ledger_leaf_no_delete")
    else:
        sql(ogi, "ALTER TABLE history_event DISABLE TRIGGER ALL", "ALTER TABLE ledger_leaf DISABLE TRIGGER ALL")


def events(ogi, case_id):
    from ogi.engine.store.rows import EventRow, as_date

    got = sql(ogi, "SELECT id, case_id, seq, recorded_at, actor, action, effective_on, reason, data, prev_hash, hash, "
                   f"actor_auth FROM history_event WHERE case_id = {case_id} ORDER BY seq")
    return [EventRow(*r[:6], as_date(r[6]), *r[7:]) for r in got]


def number_of(ogi, case_id):
    return sql(ogi, f"SELECT number FROM cases WHERE id = {case_id}")[0][0]


# --------------------------------------------------------------------------- the key and the checkpoint

def test_key_checkpoint_and_clean_verify_after_more_steps(ogi, backend, tmp_path, monkeypatch):
    no_letters(monkeypatch)
    refused = ogi("audit", "key", user="li")
    assert refused.exit_code == 1 and "系统管理员" in refused.stderr and "Traceback" not in refused.stderr
    assert not (ogi.home / "keys" / "ledger.key").exists()
    made = ogi.json("audit", "key", user="admin")
    assert made["created"] is True and made["verifier_key"].startswith("ogi/")
    key_file = ogi.home / "keys" / "ledger.key"
    assert oct(key_file.stat().st_mode & 0o777) == "0o600" and oct(key_file.parent.stat().st_mode & 0o777) == "0o700"
    again = ogi.json("audit", "key", user="li")  # anyone may print it, nothing is created again
    assert again["created"] is False and again["verifier_key"] == made["verifier_key"]
    text = ogi.ok("audit", "key", user="zhao").stdout
    assert made["verifier_key"] in text.splitlines()

    a, b, c = seed(ogi)
    no = ogi("audit", "checkpoint", user="li")
    assert no.exit_code == 1 and "权限" in no.stderr
    path = checkpoint(ogi, tmp_path)
    note = path.read_text(encoding="utf-8")
    n_leaves = sql(ogi, "SELECT COUNT(*) FROM ledger_leaf")[0][0]
    # 11 event leaves and the configuration leaf the first step wrote (engine/ledger/config_leaf.py)
    assert note.splitlines()[1] == str(n_leaves) == "12" and "\n\n\u2014 ogi/" in note and "time 20" in note
    assert sql(ogi, "SELECT size FROM ledger_checkpoint")[0][0] == n_leaves
    to_screen = ogi.ok("audit", "checkpoint", user="admin").stdout
    assert to_screen.startswith(made["name"] + "\n")

    # The database refuses to change the log while its triggers stand.
    with pytest.raises(Exception):
        sql(ogi, "UPDATE ledger_leaf SET body = 'x' WHERE idx = 0")
    with pytest.raises(Exception):
        sql(ogi, "DELETE FROM ledger_leaf WHERE idx = 0")

    # More steps after the checkpoint: the log extends it, nothing is wrong.
    step(ogi, b, "propose", "2026-10-09", outcome="disclose")
    step(ogi, c, "decide", "2026-10-09")
    register(ogi, "2026-10-10", "赵六")
    code, r, _ = verify(ogi, "--checkpoint", path)
    assert code == 0 and r["ok"] is True and r["broken"] == []
    assert r["ledger"]["leaves"] == n_leaves + 3 and r["ledger"]["checkpoint"]["size"] == n_leaves
    assert r["ledger"]["checkpoint"]["key_source"] == "instance"
    shown = ogi("audit", "verify", "--checkpoint", str(path), user="zhao")
    assert shown.exit_code == 0 and "本实例的密钥" in shown.stdout and made["verifier_key"] in shown.stdout
    assert "检查点之前的记录无删改" in shown.stdout
    # The legal office's own copy of the key, as a line or as a file.
    code, r, _ = verify(ogi, "--checkpoint", path, "--key", made["verifier_key"])
    assert code == 0 and r["ledger"]["checkpoint"]["key_source"] == "given"
    kf = tmp_path / "verifier.txt"
    kf.write_text(made["verifier_key"] + "\n", encoding="utf-8")
    assert verify(ogi, "--checkpoint", path, "--key", kf)[0] == 0
    # Without a checkpoint: rows against the log.
    assert verify(ogi)[0] == 0


def test_checkpoint_by_another_key_or_altered_is_refused(fast, tmp_path):
    from ogi.engine.ledger import checkpoint as ck

    seed(fast)
    path = checkpoint(fast, tmp_path)
    note = path.read_text(encoding="utf-8")
    mine = fast.json("audit", "key")["verifier_key"]
    origin = mine.split("+", 1)[0]

    # Signed by another key with the same name: not our key's signature.
    other_signer, other_verifier = ck.generate_key(origin)
    body = note[: note.rindex("\n\n") + 1]
    forged = tmp_path / "forged.txt"
    forged.write_text(ck.sign(body, other_signer), encoding="utf-8")
    r = fast("audit", "verify", "--checkpoint", str(forged), user="zhao")
    assert r.exit_code == 1 and "签名" in r.stderr and "Traceback" not in r.stderr and r.stderr.count("\n") == 1
    # The true checkpoint against the other key, given with --key: refused too.
    r = fast("audit", "verify", "--checkpoint", str(path), "--key", other_verifier, user="zhao")
    assert r.exit_code == 1 and "签名" in r.stderr

    # One flipped byte in the root line.
    raw = bytearray(path.read_bytes())
    at = raw.index(b"\n", raw.index(b"\n") + 1) + 5
    raw[at] ^= 0x01
    flipped = tmp_path / "flipped.txt"
    flipped.write_bytes(bytes(raw))
    r = fast("audit", "verify", "--checkpoint", str(flipped), user="zhao")
    assert r.exit_code == 1 and ("签名无效" in r.stderr or "格式不正确" in r.stderr) and "Traceback" not in r.stderr

    missing = fast("audit", "verify", "--checkpoint", str(tmp_path / "none.txt"), user="zhao")
    assert missing.exit_code == 1 and "不存在" in missing.stderr
    # The checkpoint may not be written onto the instance's own files.
    r = fast("audit", "checkpoint", "--out", str(fast.home / "keys" / "ledger.key"), user="zhao")
    assert r.exit_code == 1 and "不能写入" in r.stderr
    assert (fast.home / "keys" / "ledger.key").read_text().startswith("PRIVATE+KEY+")


# --------------------------------------------------------------------------- tampering

ROOT_CHANGED = "自检查点以来记录被删除或改写"


def test_deleted_tail_event_of_a_case(fast, backend, tmp_path):
    a, b, c = seed(fast)
    path = checkpoint(fast, tmp_path)
    unlock(fast, backend)
    # Case c's proposal is the last event: delete it and its leaf, and give the counter back.
    tail = events(fast, c)[-1]
    sql(fast, f"DELETE FROM ledger_leaf WHERE kind = 'event' AND ref = {tail.id}",
        f"DELETE FROM history_event WHERE id = {tail.id}",
        "UPDATE counter SET value = value - 1 WHERE scope = 'ledger'")
    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 1 and any(ROOT_CHANGED in p for p in problems(r))
    text = fast("audit", "verify", "--checkpoint", str(path), user="zhao")
    assert text.exit_code == 1 and "机构日志：" in text.stdout and ROOT_CHANGED in text.stdout


def test_deleted_whole_case(fast, backend, tmp_path):
    a, b, c = seed(fast)
    path = checkpoint(fast, tmp_path)
    unlock(fast, backend)
    sql(fast, f"DELETE FROM ledger_leaf WHERE kind = 'event' AND ref IN (SELECT id FROM history_event WHERE case_id = {b})",
        f"DELETE FROM letter WHERE case_id = {b}", f"DELETE FROM history_event WHERE case_id = {b}",
        f"DELETE FROM cases WHERE id = {b}")
    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 1 and any(ROOT_CHANGED in p for p in problems(r))
    assert any("缺失" in p for p in problems(r))  # the leaves' gap-free numbering


def _rewrite_chain_and_leaves(ogi, case_id, change):
    """Change one event of a case, recompute the case's whole chain and rewrite its leaves to
    match: every check that reads only the database is satisfied."""
    from ogi.engine.cases.history import GENESIS, hash_of
    from ogi.engine.ledger.store import event_body, leaf_hex

    number = number_of(ogi, case_id)
    prev = GENESIS
    statements = []
    for ev in events(ogi, case_id):
        change(ev)
        ev.prev_hash = prev
        ev.hash = hash_of(ev)
        prev = ev.hash
        body = event_body(ev, number)
        statements.append((ev, body))
    for ev, body in statements:
        sql(ogi, "UPDATE history_event SET actor = :actor, reason = :reason, prev_hash = :p, hash = :h WHERE id = :id",
            params={"actor": ev.actor, "reason": ev.reason, "p": ev.prev_hash, "h": ev.hash, "id": ev.id})
        sql(ogi, "UPDATE ledger_leaf SET body = :b, leaf_hash = :h WHERE kind = 'event' AND ref = :id",
            params={"b": body, "h": leaf_hex(body), "id": ev.id})


def test_rewritten_approver_with_recomputed_chain_and_leaves(fast, backend, tmp_path):
    a, b, c = seed(fast)
    path = checkpoint(fast, tmp_path)
    assert verify(fast)[0] == 0
    unlock(fast, backend)

    def change(ev):
        if ev.action == "approve":
            ev.actor = "zhou"   # another reviewer approved, says the rewritten record

    _rewrite_chain_and_leaves(fast, a, change)
    assert sql(fast, f"SELECT actor FROM history_event WHERE case_id = {a} AND action = 'approve'")[0][0] == "zhou"
    # Without the checkpoint the database agrees with itself: the chain and the leaves match.
    code, r, _ = verify(fast)
    assert code == 0
    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 1 and any(ROOT_CHANGED in p for p in problems(r))


def test_forged_event_appended_with_its_leaf(fast, backend, tmp_path):
    from ogi.engine.cases.history import canonical_json, event_hash
    from ogi.engine.ledger.store import event_body, leaf_hex
    from ogi.engine.store.rows import EventRow

    a, b, c = seed(fast)
    path = checkpoint(fast, tmp_path)
    # An extension "by the head", dated in October: correctly chained, with a matching leaf at
    # the end of the log and the counter moved on. No trigger needs to go for an INSERT.
    last = events(fast, b)[-1]
    seq, recorded = last.seq + 1, "2026-10-20T09:30:00+08:00"
    data = canonical_json({"until": "2026-11-30"})
    eff = last.effective_on.replace(month=10, day=20)
    h = event_hash(b, seq, recorded, "wang", "extend", eff, "情况复杂", data, last.hash, "declared")
    sql(fast, "INSERT INTO history_event (case_id, seq, recorded_at, actor, action, effective_on, reason, data, "
              "prev_hash, hash, actor_auth) VALUES (:c, :s, :r, 'wang', 'extend', :e, '情况复杂', :d, :p, :h, 'declared')",
        params={"c": b, "s": seq, "r": recorded, "e": eff, "d": data, "p": last.hash, "h": h})
    ev_id = sql(fast, f"SELECT id FROM history_event WHERE case_id = {b} AND seq = {seq}")[0][0]
    body = event_body(EventRow(ev_id, b, seq, recorded, "wang", "extend", eff, "情况复杂", data, last.hash, h, "declared"),
                      number_of(fast, b))
    idx = sql(fast, "SELECT MAX(idx) + 1 FROM ledger_leaf")[0][0]
    sql(fast, "INSERT INTO ledger_leaf (idx, kind, ref, leaf_hash, body) VALUES (:i, 'event', :r, :h, :b)",
        "UPDATE counter SET value = value + 1 WHERE scope = 'ledger'",
        params={"i": idx, "r": ev_id, "h": leaf_hex(body), "b": body})
    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 1
    assert any("事后伪造或补录" in p for p in problems(r)), problems(r)
    # Without its leaf the forged row is named too.
    unlock(fast, backend)
    sql(fast, f"DELETE FROM ledger_leaf WHERE idx = {idx}")
    code, r, _ = verify(fast)
    assert code == 1 and any("不在日志中" in p for p in problems(r)), problems(r)


def test_replaced_calendar_year_and_its_leaf(fast, backend, tmp_path):
    from ogi.engine.ledger.store import calendar_body, leaf_hex

    year_file = tmp_path / "2027.toml"
    year_file.write_text(FAKE_2027, encoding="utf-8")
    fast.ok("calendar", "import", str(year_file), user="admin")
    seed(fast)
    leaf = sql(fast, "SELECT idx, body FROM ledger_leaf WHERE kind = 'calendar'")
    assert len(leaf) == 1 and json.loads(leaf[0][1])["year"] == 2027
    path = checkpoint(fast, tmp_path)
    assert verify(fast, "--checkpoint", path)[0] == 0
    # A longer 国庆 in the table, and a leaf rewritten to name the new text.
    longer = FAKE_2027.replace("off = [2027-10-01, 2027-10-07]", "off = [2027-10-01, 2027-10-08]")
    import hashlib

    digest = hashlib.sha256(longer.encode()).hexdigest()
    old = json.loads(leaf[0][1])
    body = calendar_body(2027, digest, old["actor"], old["actor_auth"], old["recorded_at"], old["replaced"])
    unlock(fast, backend)
    sql(fast, "UPDATE calendar_year SET source = :s, sha256 = :d WHERE year = 2027",
        "UPDATE ledger_leaf SET body = :b, leaf_hash = :h WHERE idx = :i",
        params={"s": longer, "d": digest, "b": body, "h": leaf_hex(body), "i": leaf[0][0]})
    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 1 and any(ROOT_CHANGED in p for p in problems(r))
    # The table alone replaced (leaf untouched): named without a checkpoint.
    sql(fast, "UPDATE ledger_leaf SET body = :b, leaf_hash = :h WHERE idx = :i",
        params={"b": leaf[0][1], "h": leaf_hex(leaf[0][1]), "i": leaf[0][0]})
    code, r, _ = verify(fast)
    assert code == 1 and any("节假日安排被替换" in p for p in problems(r)), problems(r)


def test_a_step_and_its_leaf_roll_back_together(fast, backend):
    a = register(fast, "2026-09-24")
    before = sql(fast, "SELECT COUNT(*) FROM ledger_leaf")[0][0]
    r = fast("case", "deliver", str(a), "--date", "2026-09-25", "--method", "post")  # refused by the guard
    assert r.exit_code == 1
    assert sql(fast, "SELECT COUNT(*) FROM ledger_leaf")[0][0] == before
    assert sql(fast, "SELECT value FROM counter WHERE scope = 'ledger'")[0][0] == before
    idxs = [i for (i,) in sql(fast, "SELECT idx FROM ledger_leaf ORDER BY idx")]
    assert idxs == list(range(len(idxs)))


def test_an_upgraded_instance_gets_a_leaf_for_every_event_it_holds(fast, tmp_path, monkeypatch):
    """Migration 0007 on a record made before it: one leaf per event (id order) and per imported
    calendar year; the upgraded instance verifies and takes checkpoints. Batches of 2 leaves: the
    inserts run while the streamed read of the events is still open, as at scale."""
    from alembic import command

    from ogi.engine.ledger import store as ledger_store
    from ogi.engine.store.db import dispose_engines

    monkeypatch.setattr(ledger_store, "BACKFILL_BATCH", 2)
    from ogi.engine.store.schema import alembic_config, upgrade

    year_file = tmp_path / "2027.toml"
    year_file.write_text(FAKE_2027, encoding="utf-8")
    fast.ok("calendar", "import", str(year_file), user="admin")
    seed(fast)
    n_events = sql(fast, "SELECT COUNT(*) FROM history_event")[0][0]
    dispose_engines()
    from sqlalchemy import create_engine

    eng = create_engine(fast.url)
    with eng.begin() as conn:
        cfg = alembic_config(fast.url)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0006_actor_auth")
    eng.dispose()
    upgrade(fast.url)
    assert sql(fast, "SELECT COUNT(*) FROM ledger_leaf")[0][0] == n_events + 1
    assert sql(fast, "SELECT value FROM counter WHERE scope = 'ledger'")[0][0] == n_events + 1
    assert verify(fast)[0] == 0
    path = checkpoint(fast, tmp_path)
    step(fast, 2, "propose", "2026-10-09", outcome="disclose")
    assert verify(fast, "--checkpoint", path)[0] == 0
