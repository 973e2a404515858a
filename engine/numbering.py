"""Gap-free sequences taken inside the step's transaction: case numbers and 文号.

One `INSERT .. ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value` works the same on
SQLite (3.35+) and PostgreSQL; the row lock of the update serialises two clerks, and a
rolled-back step gives its number back, so numbers never have gaps.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import text
from sqlmodel import Session

from ..states.machine import Trigger
from .config import Config
from .models import Case, HistoryEvent, Letter

# 机关代字 suffix of each document family (families come from letters.kinds: one source of truth).
FAMILY_SUFFIX = {"reply": "", "notice": "告", "consult": "征", "receipt": "登"}


def family_of(kind: str) -> str:
    from ..letters.kinds import LetterKind

    return LetterKind(kind).number_family


_NEXT_VALUE = text("INSERT INTO counter (scope, year, value) VALUES (:s, :y, 1) "
                   "ON CONFLICT (scope, year) DO UPDATE SET value = counter.value + 1 RETURNING value")


def next_value(session: Session, scope: str, year: int) -> int:
    # One upsert (SQLite 3.35+, PostgreSQL 9.5+): the row lock of the update serialises writers.
    return session.execute(_NEXT_VALUE, {"s": scope, "y": year}).scalar_one()


def format_number(cfg: Config, family: str, year: int, seq: int) -> str:
    return f"{cfg.agency.number_prefix}{FAMILY_SUFFIX.get(family, '')}〔{year}〕{seq}号"


def kinds_for(trigger: Trigger | None, ev_data: dict, case: Case, third_party_objected: bool = False) -> list[str]:
    """Which written acts a step makes due (RULES.md Letters)."""
    if trigger is None:
        return ["receipt"]
    if trigger is Trigger.REQUEST_CORRECTION:
        return ["correction-notice"]
    if trigger is Trigger.EXTEND:
        return ["extension-notice"]
    if trigger is Trigger.CONSULT:
        return ["third-party-consultation" if ev_data.get("kind") == "third_party" else "agency-consultation"]
    if trigger is Trigger.FEE_NOTICE:
        return ["fee-notice"]
    if trigger is Trigger.NOT_HANDLE:
        return ["not-handled-notice"]
    if trigger is Trigger.APPROVE:
        # 条例第三十二条: disclosing over a third party's objection (public interest) -> tell it in writing.
        extra = ["third-party-notice"] if third_party_objected and case.outcome in ("disclose", "partial") else []
        return ["reply", *extra]
    if trigger is Trigger.DELIVER and ev_data.get("method") in ("direct", "delegated"):
        return ["service-receipt"]
    return []


def allocate_letters(session: Session, cfg: Config, case: Case, ev: HistoryEvent, trigger: Trigger | None,
                     issued_on: dt.date) -> list[Letter]:
    import json

    data = json.loads(ev.data)
    objected = False
    if trigger is Trigger.APPROVE:
        from sqlmodel import select

        from .models import Consultation

        objected = any(c.opinion == "object" for c in session.exec(
            select(Consultation).where(Consultation.case_id == case.id, Consultation.kind == "third_party")))
    out = []
    for kind in kinds_for(trigger, data, case, objected):
        family = family_of(kind)
        seq = next_value(session, f"letter:{family}", issued_on.year)
        letter = Letter(case_id=case.id, kind=kind, family=family, year=issued_on.year, seq=seq,
                        number=format_number(cfg, family, issued_on.year, seq), event_id=ev.id, issued_on=issued_on)
        session.add(letter)
        out.append(letter)
    session.flush()
    return out
