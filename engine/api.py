"""The engine's front door: one function per CLI command, one transaction each.

Results are plain dicts ready for `--json`; the CLI only parses and prints.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from ..states.machine import STATE_LABELS, TRIGGER_LABELS, CaseState, Trigger
from .cases import clocks as clk
from .store import rows
from .store.calendar_store import load_calendar
from .cases.steps import Registration, facts_of, load_case, register, run_step
from .config import load_config
from .store.db import read_session, write_db
from .identity import resolve_actor, today
from .store.tables import Applicant, Case
from .cases.summary import case_summary, show_on


def _context(login: str | None):
    cfg = load_config()
    return cfg, resolve_actor(cfg, login)


def register_case(login: str | None, reg: Registration) -> dict:
    cfg, actor = _context(login)
    with write_db() as db:
        cal = load_calendar(db)
        case = register(db, cfg, cal, actor, reg)
        out = case_summary(db, case, cal, actor, cfg=cfg)
        from .legal.repeated import repeat_warnings  # 条例第三十六条第（六）项: tell the clerk at once

        out["warnings"] = repeat_warnings(db, case)
    out["letters_rendered"] = after_commit(case.id)
    return out


def step(login: str | None, ref: str, trigger: Trigger, effective_on: dt.date | None,
         params: dict[str, Any] | None = None, reason: str = "") -> dict:
    cfg, actor = _context(login)
    now = today()
    with write_db() as db:
        cal = load_calendar(db)
        res = run_step(db, cfg, cal, actor, ref, trigger, effective_on or now, now, params or {}, reason)
        out = case_summary(db, res.case, cal, actor, clocks=res.clocks)
        out["step"] = {"action": trigger.value, "label": TRIGGER_LABELS[trigger],
                       "effective_on": res.event.effective_on, "warnings": res.warnings, **res.extra}
    out["letters_rendered"] = after_commit(res.case.id)
    return out


def after_commit(case_id: int) -> list[dict]:
    """Side effects follow the commit: render the letters the step made due (retried later if it fails)."""
    try:
        from .cases.documents import render_pending
    except ImportError:
        return []
    try:
        return render_pending(case_id)
    except Exception as exc:  # noqa: BLE001 - the step is committed: never report it as failed
        from .store.db import describe_storage_error

        msg = describe_storage_error(exc) or f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return [{"letter_id": None, "kind": "本步骤的文书", "number": "",
                 "error": f"{msg}；步骤已保存，请稍后用“ogi letter render”重新生成"}]


def show(login: str | None, ref: str, *, with_history: bool = True) -> dict:
    cfg, actor = _context(login)
    with read_session() as s:
        return show_on(rows.of_session(s), cfg, actor, ref, with_history=with_history)


def explain(login: str | None, ref: str) -> dict:
    cfg, actor = _context(login)
    with read_session() as s:
        cal = load_calendar(s)
        case = load_case(s, ref)
        facts = facts_of(s, case.id, cfg)
        clocks = clk.compute_clocks(facts, cal)
        return {"id": case.id, "number": case.number, "state": facts.state.value,
                "clocks": [c.to_json() for c in clocks]}


def list_cases(login: str | None, *, state: str | None = None, clerk: str | None = None,
               due_within: int | None = None, overdue: bool = False, include_closed: bool = False,
               as_of: dt.date | None = None, limit: int = 200) -> dict:
    cfg, actor = _context(login)
    day = as_of or today()
    with read_session() as s:
        cal = load_calendar(s)
        q = select(Case, Applicant).join(Applicant, Applicant.id == Case.applicant_id)
        if state:
            if state not in CaseState._value2member_map_:
                from ..errors import InputError

                raise InputError(f"状态“{state}”不存在；可选：{', '.join(s_.value for s_ in CaseState)}")
            q = q.where(Case.state == state)
        elif not include_closed:
            q = q.where(Case.closed == False)  # noqa: E712
        if clerk:
            q = q.where(Case.clerk == clerk)
        if overdue:
            q = q.where(Case.next_due < day, Case.closed == False)  # noqa: E712
        elif due_within is not None:
            limit_day = cal.add(day, due_within, allow_provisional=True)
            q = q.where(Case.next_due <= limit_day, Case.closed == False)  # noqa: E712
        if overdue or due_within is not None:
            # next_due is set on every row here: ordering by it alone (same order) lets the
            # database walk ix_cases_open_due and stop at `limit` instead of sorting every match.
            q = q.order_by(Case.next_due, Case.id).limit(limit)
        else:
            q = q.order_by(Case.next_due.is_(None), Case.next_due, Case.id).limit(limit)
        found = []
        for case, ap in s.exec(q).all():
            left = cal.count(day, case.next_due, allow_provisional=True) if case.next_due else None
            found.append({"id": case.id, "number": case.number, "applicant": ap.name, "state": case.state,
                         "state_label": STATE_LABELS[CaseState(case.state)], "clerk": case.clerk,
                         "received_on": case.received_on, "answer_due": case.answer_due,
                         "next_due": case.next_due, "next_clock": case.next_clock,
                         "workdays_left": left, "paused": case.clock_paused, "provisional": case.provisional,
                         "outcome": case.outcome})
        return {"as_of": day, "cases": found}
