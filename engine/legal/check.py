"""The thin loader around the compliance rules: read cases, history, letters; run the rules.

Whether a rendered reply carries the remedy clause is read from the record first (a
`letter_rendered` event may say `"remedy_clause": false` for imported letters), then, when
pypdf is installed, from the text of the recorded PDF itself; otherwise it stays unknown.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlmodel import Session, select

from ...calendars import WorkCalendar
from .compliance import REMEDY_KINDS, CaseRecord, Finding, LetterFact, check_case
from ..config import Config
from ..cases.history import rendered_letter
from ..store.tables import Applicant, Case, HistoryEvent, Letter
from ..cases import clocks as clk
from ..cases.timeline import build

REMEDY_MARKER = "行政复议"  # every remedy clause names 行政复议 (复议法第二十条、第二十三条)


def pdf_has_remedy_clause(path: str) -> bool | None:
    """True/False from the PDF's text; None when it cannot be read (no file, no pypdf)."""
    p = Path(path) if path else None
    if p is None or not p.is_file():
        return None
    try:
        import pypdf
    except ImportError:
        return None
    try:
        reader = pypdf.PdfReader(str(p))
        text = "".join((page.extract_text() or "") for page in reader.pages)
    except Exception:  # noqa: BLE001 - a damaged file is the audit's business, not this rule's
        return None
    return REMEDY_MARKER in "".join(text.split())


def _letter_facts(letters: list[Letter], rendered_events: dict[int, dict]) -> list[LetterFact]:
    out = []
    for l in letters:
        remedy = None
        ev = rendered_events.get(l.id) or {}
        if "remedy_clause" in ev:
            remedy = bool(ev["remedy_clause"])
        elif l.kind in REMEDY_KINDS and l.status == "rendered" and l.path:
            remedy = pdf_has_remedy_clause(l.path)
        out.append(LetterFact(l.id, l.kind, l.number, l.event_id, l.status, l.issued_on, remedy))
    return out


def load_records(session: Session, cfg: Config, cal: WorkCalendar, case_ids: list[int] | None,
                 as_of: dt.date) -> list[CaseRecord]:
    q = select(Case, Applicant).join(Applicant, Applicant.id == Case.applicant_id).order_by(Case.id)
    if case_ids is not None:
        q = q.where(Case.id.in_(case_ids))
    rows = session.exec(q).all()
    ids = [c.id for c, _ in rows]
    if not ids:
        return []
    eq = select(HistoryEvent).order_by(HistoryEvent.case_id, HistoryEvent.seq)
    lq = select(Letter).order_by(Letter.case_id, Letter.id)
    if case_ids is not None:
        eq = eq.where(HistoryEvent.case_id.in_(ids))
        lq = lq.where(Letter.case_id.in_(ids))
    events: dict[int, list] = {}
    rendered: dict[int, dict] = {}
    for ev in session.exec(eq):
        events.setdefault(ev.case_id, []).append(ev)
        d = rendered_letter(ev)
        if d is not None:
            rendered[d["letter_id"]] = d  # the latest rendering of each letter wins
    letters: dict[int, list[Letter]] = {}
    for l in session.exec(lq):
        letters.setdefault(l.case_id, []).append(l)
    heads = frozenset(u.login for u in cfg.users.values() if "head" in u.roles)
    out = []
    for case, ap in rows:
        entries, facts = build(events.get(case.id, []), cal, **clk.rule_options(cfg.rules))
        out.append(CaseRecord(
            case_id=case.id, number=case.number, received_on=case.received_on, entries=entries, facts=facts,
            letters=_letter_facts(letters.get(case.id, []), rendered), heads=heads,
            applicant_consents=bool(ap.electronic_consent),
            electronic_needs_consent=cfg.rules.electronic_delivery_requires_consent,
            as_of=as_of, row_delivered_on=case.delivered_on, row_state=case.state))
    return out


def check(session: Session, cfg: Config, cal: WorkCalendar, case_ids: list[int] | None,
          as_of: dt.date) -> tuple[int, list[Finding]]:
    records = load_records(session, cfg, cal, case_ids, as_of)
    findings = [f for rec in records for f in check_case(rec)]
    return len(records), findings


def run(login: str | None, ref: str | None, as_of: dt.date | None = None) -> dict:
    """`ogi check`: one case (ref) or every case (ref None)."""
    from ..store.calendar_store import load_calendar
    from ..cases.steps import load_case
    from ..config import load_config
    from ..store.db import read_session
    from ..identity import resolve_actor, today

    cfg = load_config()
    resolve_actor(cfg, login)
    day = as_of or today()
    with read_session() as s:
        cal = load_calendar(s)
        ids = None
        if ref is not None:
            ids = [load_case(s, ref).id]
        n, findings = check(s, cfg, cal, ids, day)
    counts: dict[str, int] = {}
    for f in findings:
        counts[f.rule] = counts.get(f.rule, 0) + 1
    return {"as_of": day, "cases_checked": n, "ok": not findings, "counts": counts,
            "cases_with_findings": len({f.case_id for f in findings}),
            "findings": [f.to_json() for f in findings]}
