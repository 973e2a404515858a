"""`ogi init` on an existing database restores the append-only triggers of history_event and
ledger_leaf that were dropped or disabled, and says so, one line each (issue 15 item 5); on a
healthy database it says nothing about them. SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from legal_support import no_letters, register

TRIGGERS = {
    "sqlite": {"history_event": ["history_event_no_update", "history_event_no_delete"],
               "ledger_leaf": ["ledger_leaf_no_update", "ledger_leaf_no_delete"]},
    "postgresql": {"history_event": ["history_event_readonly", "history_event_no_truncate"],
                   "ledger_leaf": ["ledger_leaf_readonly", "ledger_leaf_no_truncate"]},
}


def run_sql(url: str, *statements: str) -> None:
    eng = create_engine(url)
    try:
        with eng.begin() as c:
            for s in statements:
                c.execute(text(s))
    finally:
        eng.dispose()


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def update_refused(url: str, table: str) -> bool:
    col = "reason" if table == "history_event" else "kind"
    try:
        run_sql(url, f"UPDATE {table} SET {col} = {col}")  # a no-op the triggers still refuse
    except Exception as exc:  # noqa: BLE001 - the trigger's refusal
        assert "append-only" in str(exc)
        return True
    return False


@pytest.fixture
def seeded(ogi, monkeypatch):
    no_letters(monkeypatch)
    register(ogi, "2026-09-24")  # one event, one leaf
    return ogi


def test_init_on_a_healthy_database_says_nothing_about_triggers(seeded):
    r = seeded.ok("init", user="admin")
    assert "触发器" not in r.stdout
    assert seeded.json("init", user="admin")["triggers_restored"] == []


def test_init_recreates_dropped_triggers(seeded):
    url, d = seeded.url, dialect(seeded.url)
    names = TRIGGERS[d]
    drops = [f"DROP TRIGGER {n}" if d == "sqlite" else f"DROP TRIGGER {n} ON {t}"
             for t, ns in names.items() for n in ns]
    run_sql(url, *drops)
    assert not update_refused(url, "history_event") and not update_refused(url, "ledger_leaf")
    out = seeded.ok("init", user="admin").stdout
    for n in names["history_event"]:
        assert f"已恢复办理记录的防篡改触发器 {n}（此前缺失）" in out
    for n in names["ledger_leaf"]:
        assert f"已恢复机构日志的防篡改触发器 {n}（此前缺失）" in out
    assert update_refused(url, "history_event") and update_refused(url, "ledger_leaf")
    assert "触发器" not in seeded.ok("init", user="admin").stdout  # restored once, then healthy

    run_sql(url, drops[0])
    r = seeded.json("init", user="admin")
    assert [(t["table"], t["trigger"], t["was"]) for t in r["triggers_restored"]] == [
        ("history_event", names["history_event"][0], "missing")]
    assert update_refused(url, "history_event")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)  # ALTER TABLE ... DISABLE TRIGGER is PostgreSQL's
def test_init_reenables_disabled_triggers_on_postgres(seeded):
    assert dialect(seeded.url) == "postgresql"
    url = seeded.url
    run_sql(url, "ALTER TABLE history_event DISABLE TRIGGER ALL", "ALTER TABLE ledger_leaf DISABLE TRIGGER ledger_leaf_readonly")
    assert not update_refused(url, "history_event") and not update_refused(url, "ledger_leaf")
    r = seeded.json("init", user="admin")
    got = {(t["table"], t["trigger"], t["was"]) for t in r["triggers_restored"]}
    assert got == {("history_event", "history_event_readonly", "disabled"),
                   ("history_event", "history_event_no_truncate", "disabled"),
                   ("history_event", "ALL", "disabled"),
                   ("ledger_leaf", "ledger_leaf_readonly", "disabled")}
    assert any(t["message"] == "已恢复办理记录的防篡改触发器 history_event_readonly（此前被停用）"
               for t in r["triggers_restored"])
    assert update_refused(url, "history_event") and update_refused(url, "ledger_leaf")
    assert seeded.json("init", user="admin")["triggers_restored"] == []
