"""The configuration that affects rules and roles is a leaf of the agency's log (issue 15, item 1),
on SQLite and PostgreSQL: appended before a step's event when it changed since the newest config
leaf (or there is none), not when only a channel (an email address) changed; a config leaf
rewritten afterwards breaks the checkpoint."""
from __future__ import annotations

import json
import os

import pytest

from legal_support import no_letters, register, sql, step
from test_ledger_audit import ROOT_CHANGED, checkpoint, problems, unlock, verify


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    ogi.ok("audit", "key", user="admin")
    return ogi


def config_leaves(ogi) -> list[tuple[int, dict]]:
    return [(idx, json.loads(body)) for idx, body in
            sql(ogi, "SELECT idx, body FROM ledger_leaf WHERE kind = 'config' ORDER BY idx")]


def edit_config(ogi, old: str, new: str) -> None:
    path = ogi.home / "ogi.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a new mtime, however coarse the clock


def new_process(monkeypatch):
    """What the next CLI command sees: nothing remembered about the database."""
    from ogi.engine.ledger import store

    monkeypatch.setattr(store, "_config_logged", {})


def test_rules_digest_is_pure_and_leaves_channels_out():
    from ogi.engine.config import DEFAULT_CONFIG, parse_config
    from ogi.engine.ledger.config_leaf import rules_digest

    base = parse_config(DEFAULT_CONFIG, "a")
    digest, body = rules_digest(base)
    assert rules_digest(parse_config(DEFAULT_CONFIG, "b")) == (digest, body)
    data = json.loads(body)
    assert set(data) == {"agency", "rules", "identity", "service", "users"}
    assert data["users"]["wang"] == {"roles": ["head", "reviewer"], "os_account": ""}
    assert "email" not in body and "warnings" not in data
    mail = parse_config(DEFAULT_CONFIG.replace("li@example.gov.cn", "li2@example.gov.cn")
                        .replace("thresholds_workdays = [5, 3, 1]", "thresholds_workdays = [4]"), "c")
    assert rules_digest(mail)[0] == digest
    for old, new in (('roles = ["clerk"]\nemail = "li@', 'roles = ["clerk", "head"]\nemail = "li@'),
                     ("correction_period_workdays = 15", "correction_period_workdays = 10"),
                     ('court = "示例市人民法院"', 'court = "示例市中级人民法院"'),
                     ('# os_account = "liming"', 'os_account = "liming"')):
        assert old in DEFAULT_CONFIG
        assert rules_digest(parse_config(DEFAULT_CONFIG.replace(old, new), "d"))[0] != digest, new


def test_config_leaves_follow_role_changes_not_email(fast, backend, tmp_path, monkeypatch):
    from ogi.engine.config import load_config
    from ogi.engine.ledger.config_leaf import rules_digest

    assert config_leaves(fast) == []
    a = register(fast, "2026-09-24")
    first = config_leaves(fast)
    assert len(first) == 1
    idx, body = first[0]
    ev_leaf = sql(fast, "SELECT MIN(idx) FROM ledger_leaf WHERE kind = 'event'")[0][0]
    assert idx < ev_leaf  # before the step's event, in its transaction
    assert body["kind"] == "config" and body["actor"] == "li" and body["recorded_at"].startswith("20")
    assert body["digest"] == rules_digest(load_config())[0]
    assert body["config"]["users"]["li"]["roles"] == ["clerk"]
    assert body["config"]["agency"]["court"] == "示例市人民法院"

    # Further steps under the same configuration: none, whether remembered or looked up.
    step(fast, a, "accept", "2026-09-25")
    new_process(monkeypatch)
    b = register(fast, "2026-09-25", "李四")
    assert config_leaves(fast) == first
    path = checkpoint(fast, tmp_path)

    # li becomes head too: exactly one new leaf, showing the change.
    edit_config(fast, 'roles = ["clerk"]\nemail = "li@', 'roles = ["clerk", "head"]\nemail = "li@')
    new_process(monkeypatch)
    step(fast, b, "accept", "2026-09-28", user="chen")
    got = config_leaves(fast)
    assert len(got) == 2 and got[0] == first[0]
    changed = got[1][1]
    assert changed["config"]["users"]["li"]["roles"] == ["clerk", "head"] and changed["actor"] == "chen"
    assert changed["digest"] != body["digest"] and changed["digest"] == rules_digest(load_config())[0]
    step(fast, a, "propose", "2026-10-09", outcome="disclose")
    assert len(config_leaves(fast)) == 2

    # Only an email address: no leaf.
    edit_config(fast, "li@example.gov.cn", "liming@example.gov.cn")
    step(fast, b, "propose", "2026-10-09", outcome="disclose")
    new_process(monkeypatch)
    register(fast, "2026-09-28", "王五")
    assert len(config_leaves(fast)) == 2

    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 0 and r["broken"] == []
    assert fast("audit", "verify", user="zhao").exit_code == 0


def test_rewritten_config_leaf_breaks_the_checkpoint(fast, backend, tmp_path):
    from ogi.engine.ledger.store import leaf_hex

    register(fast, "2026-09-24")
    path = checkpoint(fast, tmp_path)
    [(idx, body)] = config_leaves(fast)
    # Pretend li had been head all along: the body rewritten, its hash recomputed to match.
    body["config"]["users"]["li"]["roles"] = ["clerk", "head"]
    forged = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    unlock(fast, backend)
    sql(fast, "UPDATE ledger_leaf SET body = :b, leaf_hash = :h WHERE idx = :i",
        params={"b": forged, "h": leaf_hex(forged), "i": idx})
    assert verify(fast)[0] == 0  # the database alone cannot tell
    code, r, _ = verify(fast, "--checkpoint", path)
    assert code == 1 and any(ROOT_CHANGED in p for p in problems(r))
