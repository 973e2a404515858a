"""Administrative reviews and lawsuits brought against a case (annual report table 四).

A challenge is a fact about a case, recorded by the legal office or a clerk: the kind
(行政复议 / 行政诉讼未经复议直接起诉 / 行政诉讼复议后起诉), the filing date, the body that hears it,
and later its result (维持 / 纠正 / 其他). The row in `legal_challenge` is what the report
counts; every change is also appended to the case's hash-chained history
(`review_recorded`, `review_result`), so the record is as tamper-evident as the steps.
"""
from __future__ import annotations

import datetime as dt

from sqlmodel import Session, select

from ...errors import InputError, NotFound
from ...states.vocabulary import CHALLENGE_KINDS, CHALLENGE_RESULTS
from ..store.tables import LegalChallenge  # the table, with every other table


def record_challenge(session: Session, actor, ref: str, kind: str, filed_on: dt.date, body: str,
                     today: dt.date) -> LegalChallenge:
    """`ogi case review`: one transaction (lock the case, insert the row, append the event)."""
    from ..cases.steps import append_event, clean_text, load_case
    from ..identity import require_role

    require_role(actor, "legal", "clerk", what="登记行政复议或行政诉讼")
    if kind not in CHALLENGE_KINDS:
        raise InputError(f"类型“{kind}”不存在；可选：" + "、".join(f"{k}（{v}）" for k, v in CHALLENGE_KINDS.items()))
    body = clean_text(body, "复议机关或法院名称", limit=300)
    case = load_case(session, ref, for_update=True)
    if filed_on > today:
        raise InputError(f"提起日期 {filed_on} 晚于今天 {today}，请核对")
    if filed_on < case.received_on:
        raise InputError(f"提起日期 {filed_on} 早于本案收到申请之日 {case.received_on}，请核对")
    row = LegalChallenge(case_id=case.id, kind=kind, filed_on=filed_on, body=body, recorded_by=actor.login)
    session.add(row)
    session.flush()
    ev = append_event(session, case.id, actor, "review_recorded", filed_on, "",
                      {"challenge_id": row.id, "kind": kind, "filed_on": filed_on, "body": body})
    row.filed_event_id = ev.id
    session.add(row)
    session.flush()
    return row


def record_result(session: Session, actor, ref: str, challenge_id: int, result: str, on: dt.date,
                  today: dt.date, reason: str = "") -> LegalChallenge:
    """`ogi case review-result`: the decision or judgment (维持 / 纠正 / 其他)."""
    from ..cases.steps import append_event, clean_text, load_case
    from ..identity import require_role

    require_role(actor, "legal", "clerk", what="登记行政复议或行政诉讼结果")
    if result not in CHALLENGE_RESULTS:
        raise InputError(f"结果“{result}”不存在；可选：" + "、".join(f"{k}（{v}）" for k, v in CHALLENGE_RESULTS.items()))
    reason = clean_text(reason, "说明")
    case = load_case(session, ref, for_update=True)
    row = session.get(LegalChallenge, challenge_id)
    if row is None or row.case_id != case.id:
        raise NotFound(f"案件 {case.number} 没有编号为 {challenge_id} 的行政复议或诉讼：请用“ogi case history {case.number}”查看")
    if row.result is not None:
        raise InputError(f"该{CHALLENGE_KINDS[row.kind]}已于 {row.result_on} 登记结果“{CHALLENGE_RESULTS[row.result]}”，不能重复登记")
    if on > today:
        raise InputError(f"结果日期 {on} 晚于今天 {today}，请核对")
    if on < row.filed_on:
        raise InputError(f"结果日期 {on} 早于提起日期 {row.filed_on}，请核对")
    row.result, row.result_on = result, on
    ev = append_event(session, case.id, actor, "review_result", on, reason,
                      {"challenge_id": row.id, "kind": row.kind, "result": result})
    row.result_event_id = ev.id
    session.add(row)
    session.flush()
    return row


def challenges_of(session: Session, case_id: int) -> list[LegalChallenge]:
    return list(session.exec(select(LegalChallenge).where(LegalChallenge.case_id == case_id)
                             .order_by(LegalChallenge.id)))


def to_json(row: LegalChallenge) -> dict:
    return {"id": row.id, "case_id": row.case_id, "kind": row.kind, "kind_label": CHALLENGE_KINDS.get(row.kind, row.kind),
            "filed_on": row.filed_on, "body": row.body, "result": row.result,
            "result_label": CHALLENGE_RESULTS.get(row.result) if row.result else "尚未审结", "result_on": row.result_on,
            "recorded_by": row.recorded_by}


# --------------------------------------------------------------------------- front door

def review(login: str | None, ref: str, kind: str, filed_on: dt.date, body: str = "") -> dict:
    from ..config import load_config
    from ..store.db import write_session
    from ..identity import resolve_actor, today

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    with write_session() as s:
        row = record_challenge(s, actor, ref, kind, filed_on, body, today())
        return _result(s, row)


def review_result(login: str | None, ref: str, challenge_id: int, result: str, on: dt.date, reason: str = "") -> dict:
    from ..config import load_config
    from ..store.db import write_session
    from ..identity import resolve_actor, today

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    with write_session() as s:
        row = record_result(s, actor, ref, challenge_id, result, on, today(), reason)
        return _result(s, row)


def _result(s: Session, row: LegalChallenge) -> dict:
    from ..store.tables import Case

    case = s.get(Case, row.case_id)
    return {"case": case.number, "case_id": case.id, "challenge": to_json(row),
            "challenges": [to_json(c) for c in challenges_of(s, case.id)]}
