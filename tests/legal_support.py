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


def _d(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def register(ogi, received: str, name: str = "张三", kind: str = "natural", description: str = "某道路改造工程立项批复",
             consent: bool = False, user: str = "li") -> int:
    """Register through the engine's front door (the function `ogi case register` calls):
    seeding through Typer would rebuild the whole command tree on every call."""
    import os

    from ogi.engine import api
    from ogi.engine.cases.steps import Registration

    os.environ["OGI_USER"] = user
    reg = Registration(applicant=name, applicant_type=kind, channel="in_person", received=_d(received),
                       description=description, electronic_consent=consent)
    return api.register_case(user, reg)["id"]


def applications(ogi, received: str, count: int, name: str = "张三", kind: str = "natural") -> list[int]:
    """`count` applications by one applicant, all received on `received`. 按件计收 (国办函〔2020〕109号)
    counts an applicant's applications per calendar month, so the 11th of a month is the first
    that costs anything (100 元): seed ten, then the case under test is the 11th."""
    return [register(ogi, received, name, kind) for _ in range(count)]


def step(ogi, cid: int, action: str, date: str | None, user: str = "li", reason: str = "", **params) -> dict:
    """One step through the engine's front door, with the parameters the CLI would pass."""
    from ogi.engine import api
    from ogi.states.machine import Trigger

    return api.step(user, str(cid), Trigger(action), _d(date), params, reason)


def answer(ogi, cid: int, *, accept: str | None, propose: str, deliver: str, outcome: str = "disclose",
           reason: str = "", method: str = "direct", approve: str | None = None, **extra) -> None:
    """Accept -> propose -> decide -> approve (wang) -> deliver."""
    if accept:
        step(ogi, cid, "accept", accept)
    step(ogi, cid, "propose", propose, reason=reason, outcome=outcome, **extra)
    step(ogi, cid, "decide", propose)
    step(ogi, cid, "approve", approve or propose, user="wang")
    step(ogi, cid, "deliver", deliver, method=method)


def import_event(case_id: int, action: str, effective_on: str | dt.date | None, *, actor: str = "li",
                 reason: str = "", data: dict | None = None) -> None:
    """Append an event the way imported or legacy data arrives: a valid chain link, no guard.
    The case row is refreshed from the history when the history can be replayed."""
    from ogi.engine.cases import steps as C
    from ogi.engine.cases import clocks as clk
    from ogi.engine.store.calendar_store import load_calendar
    from ogi.engine.config import load_config
    from ogi.engine.store.db import write_session
    from ogi.engine.store import rows

    eff = dt.date.fromisoformat(effective_on) if isinstance(effective_on, str) else effective_on
    cfg = load_config()
    with write_session() as s:
        C.append_event(s, case_id, actor, action, eff, reason, data or {})
        db = rows.of_session(s)
        case = rows.case_by_id(db, case_id)
        try:
            facts = C.facts_of(s, case_id, cfg)
        except (ValueError, KeyError):
            return
        C.refresh_cache(case, facts, clk.compute_clocks(facts, load_calendar(s)))
        rows.save_projection(db, case)


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
