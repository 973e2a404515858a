"""Helpers for the legal-office tests (test_legal_*.py): fast case flows through the CLI,
events imported as old/foreign data would arrive (valid hash chain, no guard), and raw SQL
as an attacker with database access would use it."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import create_engine, text


def no_letters(monkeypatch) -> None:
    """Skip PDF rendering after each step (the letter rows are still allocated)."""
    import ogi.engine.api as api

    monkeypatch.setattr(api, "after_commit", lambda case_id: [])


def register(ogi, received: str, name: str = "张三", kind: str = "natural", description: str = "某道路改造工程立项批复",
             *extra: str) -> int:
    r = ogi.json("case", "register", "--applicant", name, "--applicant-type", kind, "--channel", "in_person",
                 "--received", received, "--description", description, *extra)
    return r["id"]


def answer(ogi, cid: int, *, accept: str, propose: str, deliver: str, outcome: str = "disclose",
           reason: str = "", method: str = "direct", approve: str | None = None, extra: tuple = ()) -> None:
    """Accept -> propose -> decide -> approve (wang) -> deliver."""
    ogi.ok("case", "accept", cid, "--date", accept)
    args = ["case", "propose", cid, "--outcome", outcome, "--date", propose, *extra]
    if reason:
        args += ["--reason", reason]
    ogi.ok(*args)
    ogi.ok("case", "decide", cid, "--date", propose)
    ogi.ok("case", "approve", cid, "--date", approve or propose, user="wang")
    ogi.ok("case", "deliver", cid, "--method", method, "--date", deliver)


def import_event(case_id: int, action: str, effective_on: str | dt.date | None, *, actor: str = "li",
                 reason: str = "", data: dict | None = None) -> None:
    """Append an event the way imported or legacy data arrives: a valid chain link, no guard.
    The case row is refreshed from the history when the history can be replayed."""
    from ogi.engine import cases as C
    from ogi.engine import clocks as clk
    from ogi.engine.calendar_store import load_calendar
    from ogi.engine.config import load_config
    from ogi.engine.db import write_session
    from ogi.engine.models import Case

    eff = dt.date.fromisoformat(effective_on) if isinstance(effective_on, str) else effective_on
    cfg = load_config()
    with write_session() as s:
        C.append_event(s, case_id, actor, action, eff, reason, data or {})
        case = s.get(Case, case_id)
        try:
            facts = C.facts_of(s, case_id, cfg)
        except (ValueError, KeyError):
            return
        C._refresh_cache(case, facts, clk.compute_clocks(facts, load_calendar(s)))
        s.add(case)


def sql(ogi, *statements: str, params: dict | None = None):
    """Raw SQL on the instance's database (one transaction); returns the last result's rows."""
    eng = create_engine(ogi.url)
    rows = None
    try:
        with eng.begin() as c:
            for st in statements:
                res = c.execute(text(st), params or {})
                rows = res.all() if res.returns_rows else None
    finally:
        eng.dispose()
    return rows


def drop_history_triggers(ogi, backend: str) -> None:
    """What an attacker with database access does first: the append-only triggers go."""
    if backend == "sqlite":
        sql(ogi, "DROP TRIGGER history_event_no_update", "DROP TRIGGER history_event_no_delete")
    else:
        sql(ogi, "DROP TRIGGER history_event_readonly ON history_event")


def rule_map(findings: list[dict]) -> dict[str, set[str]]:
    """case number -> set of rule codes."""
    out: dict[str, set[str]] = {}
    for f in findings:
        out.setdefault(f["case"], set()).add(f["rule"])
    return out
