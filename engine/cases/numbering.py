"""Gap-free sequences taken inside the step's transaction: case numbers and 文号.

One `INSERT .. ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value` works the same on
SQLite (3.35+) and PostgreSQL; the row lock of the update serialises two clerks, and a
rolled-back step gives its number back, so numbers never have gaps.
"""
from __future__ import annotations

import datetime as dt

from ...states.machine import Trigger
from ...states.outcomes import not_handled_notice_due, third_party_notice_due
from ...states.vocabulary import SIGNED_FOR
from ..store import rows
from ..config import Config
from .history import decode

# 机关代字 suffix of each document family (families come from letters.kinds: one source of truth).
FAMILY_SUFFIX = {"reply": "", "notice": "告", "consult": "征", "receipt": "登", "service": "送"}


def family_of(kind: str) -> str:
    from ...letters.kinds import LetterKind

    return LetterKind(kind).number_family


def format_number(cfg: Config, family: str, year: int, seq: int) -> str:
    return f"{cfg.agency.number_prefix}{FAMILY_SUFFIX.get(family, '')}〔{year}〕{seq}号"


def kinds_for(trigger: Trigger | None, ev_data: dict, case, third_party_objected: bool = False) -> list[str]:
    """Which written acts a step makes due (RULES.md Letters)."""
    if trigger is None:
        return ["receipt"]
    if trigger is Trigger.REQUEST_CORRECTION:
        return ["correction-notice"]
    if trigger is Trigger.EXTEND:
        return ["extension-notice"]
    if trigger is Trigger.DELAY:  # 条例第三十五条: the later date is notified in writing
        return ["delay-notice"]
    if trigger is Trigger.CONSULT:
        return ["third-party-consultation" if ev_data.get("kind") == "third_party" else "agency-consultation"]
    if trigger is Trigger.FEE_NOTICE:
        return ["fee-notice"]
    if trigger is Trigger.NOT_HANDLE:  # retired: the notice came with the closing (old histories)
        return ["not-handled-notice"]
    if trigger in (Trigger.CORRECTION_LAPSE, Trigger.FEE_LAPSE):
        # 视为放弃申请 (条例第三十条; 国办函〔2020〕109号): the applicant is told in writing (答复书).
        return ["reply"]
    if trigger is Trigger.APPROVE and not_handled_notice_due(case.outcome):
        # 条例第三十九条: not handled as an application: the 不予处理告知书, approved like a reply.
        return ["not-handled-notice"]
    if trigger is Trigger.APPROVE:
        # 条例第三十二条: disclosing over a third party's objection (public interest) -> tell it in writing.
        extra = ["third-party-notice"] if third_party_notice_due(case.outcome, third_party_objected) else []
        return ["reply", *extra]
    if trigger is Trigger.DELIVER and ev_data.get("method") in SIGNED_FOR:
        return ["service-receipt"]
    return []


def allocate_letters(db: rows.Db, cfg: Config, case, ev, trigger: Trigger | None,
                     issued_on: dt.date) -> list[tuple[int, str, str]]:
    """Number the letters the step makes due, in the step's transaction: (letter id, kind, 文号)."""
    kinds = kinds_for(trigger, decode(ev.data), case,
                      trigger is Trigger.APPROVE and rows.third_party_objected(db, case.id))
    out = []
    for kind in kinds:
        family = family_of(kind)
        seq = rows.next_value(db, f"letter:{family}", issued_on.year)
        number = format_number(cfg, family, issued_on.year, seq)
        letter_id = rows.insert_letter(db, case_id=case.id, kind=kind, family=family, year=issued_on.year, seq=seq,
                                       number=number, event_id=ev.id, issued_on=issued_on)
        out.append((letter_id, kind, number))
    return out
