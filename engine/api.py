"""The engine's front door: the only module of engine/ that the CLI (commands/, cli_fast.py) imports.

Case work is defined here: each call loads the configuration, resolves who acts, runs one
transaction and returns plain dicts ready for `--json`; the letters a step made due are rendered
after the commit (after_commit). Every other door is a name in DOORS, pointing into the room
that owns it; it is imported on first use, so that `ogi case show` starts without SQLAlchemy,
WeasyPrint or Typer.

    CLI (commands/) -> api -> engine/cases (steps, clocks, summary, documents)
                           -> engine/store (tables, rows, db, backup, calendar storage)
                           -> engine/notify (settings, policy, outbox, delivery, digest, scheduler)
                           -> engine/legal (audit, check, reports, challenges, diagram)
"""
from __future__ import annotations

import datetime as dt
from importlib import import_module
from typing import Any

from ..states.machine import STATE_LABELS, TRIGGER_LABELS, Trigger

# name -> "module:attribute" (modules relative to ogi.engine)
DOORS = {
    # case work (engine/cases)
    "Registration": "cases.steps:Registration",
    "list_letters": "cases.letter_desk:list_letters",
    "letter_copy": "cases.letter_desk:letter_copy",
    "checkpoint_line": "ledger.store:checkpoint_line",
    "render_case_letters": "cases.letter_desk:render_case_letters",
    "render_batch": "cases.letter_desk:render_batch",
    "check_render_request": "cases.letter_desk:check_render_request",
    "verify_letter_file": "cases.documents:verify_file",
    "letter_kind_label": "..letters.kinds:short_label",
    # the instance (configuration, schema, backups) and its calendar (engine/store)
    "init_instance": "instance:init_instance",
    "list_users": "instance:list_users",
    "deployment_check": "deployment:check",
    "home_dir": "config:home_dir",
    "load_config": "config:load_config",
    "today": "identity:today",
    "now": "identity:now_shanghai",
    "backup": "store.backup:backup",
    "restore": "store.backup:restore",
    "describe_storage_error": "store.db:describe_storage_error",
    "sqlite_file": "store.db:existing_sqlite_file",
    "load_calendar": "store.calendar_store:load_calendar",
    "calendar_year": "store.calendar_store:year_overview",
    "calendar_years": "store.calendar_store:list_years",
    "explain_period": "store.calendar_store:explain_period",
    "import_calendar_year": "store.calendar_store:import_file",
    "dump_json": "output:dump_json",
    "mask_argv": "masking:mask_argv",
    "mask_text": "masking:mask_text",
    # deadline warnings (engine/notify)
    "warning_settings": "notify.settings:channel_settings",
    "sweep_warnings": "notify.outbox:sweep",
    "send_warnings": "notify.delivery:send_round",
    "list_warnings": "notify.outbox:list_warnings",
    "warning_digest": "notify.digest:digest",
    "compose_digest": "notify.digest:compose_digest",
    "send_digest": "notify.digest:send_digest",
    "run_scheduler": "notify.scheduler:run_daemon",
    # the legal office (engine/legal)
    "audit_verify": "legal.audit:verify",
    "audit_export": "legal.dossier:export",
    "ledger_key": "ledger.store:key",
    "ledger_checkpoint": "ledger.store:make_checkpoint",
    "send_checkpoint": "notify.checkpoints:send",
    "case_history": "legal.dossier:history",
    "history_change_text": "legal.dossier:change_text",
    "history_note": "legal.dossier:event_note",
    "record_review": "legal.challenges:review",
    "record_review_result": "legal.challenges:review_result",
    "compliance_check": "legal.check:run",
    "annual_report": "legal.annual_report:annual",
    "annual_report_text": "legal.annual_report:as_text",
    "annual_imbalance_message": "legal.annual_report:imbalance_message",
    "annual_proactive_text": "legal.annual_report:proactive_text",
    "repeated_requests": "legal.repeated:report",
    "proactive_propose": "legal.proactive:propose_item",
    "proactive_decide": "legal.proactive:decide_item",
    "proactive_list": "legal.proactive:list_items",
    "proactive_yearly": "legal.proactive:yearly_list",
    "proactive_yearly_text": "legal.proactive:yearly_text",
    "dashboard": "legal.dashboard:build",
    "state_diagram": "legal.diagram:render",
    "html_to_pdf": "..letters.pdf:html_to_pdf",
    "write_output": "store.files:write_output",  # --out: never onto the instance's own files
    "export_path": "config:export_path",
}


def __getattr__(name: str):
    target = DOORS.get(name)
    if target is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attr = target.split(":")
    value = getattr(import_module(("." if not module.startswith(".") else "") + module, __package__), attr)
    globals()[name] = value  # resolved once
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *DOORS])


# --------------------------------------------------------------------------- case work

def _context(login: str | None):
    from .config import load_config
    from .identity import resolve_actor

    cfg = load_config()
    return cfg, resolve_actor(cfg, login)


def register_case(login: str | None, reg) -> dict:
    """条例第二十九条、第三十一条: register an application (a `Registration`)."""
    from .cases.steps import register
    from .cases.summary import case_summary
    from .legal.proactive import registration_notes
    from .legal.repeated import repeat_warnings
    from .store.calendar_store import load_calendar
    from .store.db import write_db

    cfg, actor = _context(login)
    with write_db() as db:
        cal = load_calendar(db)
        case = register(db, cfg, cal, actor, reg)
        out = case_summary(db, case, cal, actor, cfg=cfg)
        # 条例第三十六条第（六）项 (asked before) and 第（一）项 (already proactively disclosed,
        # 条例第四十四条): tell the clerk at once.
        out["warnings"] = repeat_warnings(db, case) + registration_notes(db, case.description, case.number)
    out["letters_rendered"] = after_commit(case.id)
    return out


def step(login: str | None, ref: str, trigger: Trigger, effective_on: dt.date | None,
         params: dict[str, Any] | None = None, reason: str = "") -> dict:
    """One step of a case (states/machine.py Trigger) in one transaction, then its letters."""
    from .cases.steps import run_step
    from .cases.summary import case_summary
    from .identity import today
    from .store.calendar_store import load_calendar
    from .store.db import write_db

    cfg, actor = _context(login)
    now = today()
    with write_db() as db:
        cal = load_calendar(db)
        res = run_step(db, cfg, cal, actor, ref, trigger, effective_on or now, now, params or {}, reason)
        out = case_summary(db, res.case, cal, actor, clocks=res.clocks, facts=res.facts)
        out["step"] = {"action": trigger.value, "label": TRIGGER_LABELS[trigger],
                       "effective_on": res.event.effective_on, "warnings": res.warnings, **res.extra}
    out["letters_rendered"] = after_commit(res.case.id)
    return out


def after_commit(case_id: int) -> list[dict]:
    """Side effects follow the commit: render the letters the step made due (retried later if it
    fails). In the service they are rendered once the clerk has the answer (engine/deferred.py);
    the step then reports the files the letters are being written to."""
    from . import deferred
    from .cases.documents import planned_letters, render_pending
    from .store.db import describe_storage_error

    try:
        if deferred.later(lambda: render_pending(case_id)):
            return planned_letters(case_id)
        return render_pending(case_id)
    except Exception as exc:  # noqa: BLE001 - the step is committed: never report it as failed
        msg = describe_storage_error(exc) or f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else ''}"
        return [{"letter_id": None, "kind": "本步骤的文书", "number": "",
                 "error": f"{msg}；步骤已保存，请稍后用“ogi letter render”重新生成"}]


def show(login: str | None, ref: str, *, with_history: bool = True) -> dict:
    """A case as the clerk sees it: state, clocks, consultations, letters, history."""
    from .cases.summary import show_on
    from .store import rows
    from .store.db import read_session

    cfg, actor = _context(login)
    with read_session() as s:
        return show_on(rows.of_session(s), cfg, actor, ref, with_history=with_history)


def show_sqlite_file(path: str, login: str | None, ref: str) -> dict:
    """show() on a bare sqlite3 connection to an existing file: `ogi case show` without
    SQLAlchemy (cli_fast.py); the same checks in the same order (configuration, user, database)."""
    from .cases.summary import show_on
    from .store.db import sqlite_read_connection
    from .store.rows import Db

    cfg, actor = _context(login)
    conn = sqlite_read_connection(path)
    try:
        conn.execute("BEGIN")
        return show_on(Db(conn, sqlite=True), cfg, actor, ref)
    finally:
        conn.close()  # ends the read transaction


def explain(login: str | None, ref: str) -> dict:
    """How every due date of a case was computed."""
    from ..states.machine import CLOSED
    from .cases import clocks as clk
    from .cases.standing import clocks_with_standing
    from .cases.steps import facts_of, load_case
    from .identity import today
    from .store.calendar_store import load_calendar
    from .store.db import read_session

    cfg, actor = _context(login)
    with read_session() as s:
        cal = load_calendar(s)
        case = load_case(s, ref)
        facts = facts_of(s, case.id, cfg)
        clocks = clk.compute_clocks(facts, cal)
        day = today()  # each clock's standing on it: 已逾期 N 个工作日、今日到期、还剩 N 个工作日 ...
        return {"id": case.id, "number": case.number, "state": facts.state.value,
                "state_label": STATE_LABELS[facts.state], "as_of": day,
                "clocks": clocks_with_standing(clocks, day, cal, closed=facts.state in CLOSED)}


def list_cases(login: str | None, *, state: str | None = None, clerk: str | None = None,
               due_within: int | None = None, overdue: bool = False, include_closed: bool = False,
               as_of: dt.date | None = None, limit: int = 200) -> dict:
    """Cases by their nearest due date (the cached, indexed `next_due`)."""
    from .cases.listing import list_cases as _list
    from .identity import today

    _context(login)
    return _list(state=state, clerk=clerk, due_within=due_within, overdue=overdue,
                 include_closed=include_closed, day=as_of or today(), limit=limit)
