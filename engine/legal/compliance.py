"""Compliance check: what a court would hold against the agency, case by case (pure rules).

Each rule is a function `CaseRecord -> list[Finding]` over facts replayed from the case's
history (`engine.timeline`), the case's letter records and a few settings; no rule does I/O.
The loader that fills `CaseRecord` from the database lives in `engine/legal/check.py`.

Rules (code — article):
    correction_notice_late       补正告知晚于收到申请之日起7个工作日（条例第三十条）
    correction_not_once          补正告知不止一次（条例第三十条“一次性告知”）
    answer_late                  答复送达晚于答复期限（条例第三十三条；直接/委托送达以签收之日、
                                 邮寄以交邮之日，即送达步骤的办理日期为准）
    answer_overdue               答复期限届满仍未答复（条例第三十三条）
    answer_late_after_calendar   已办结案件因节假日安排变更，答复期限改变，答复由按期变为逾期或
                                 相反（条例第三十三条按工作日计算期限，以国务院办公厅节假日安排
                                 为准；变更记为办理记录中的 recompute 事件）
    extension_unapproved         延长答复期限未经负责人同意、未在期限届满前告知、超过20个工作日或
                                 没有延期告知书（条例第三十三条第二款；补正后重新计算的答复期限
                                 单独计算上限，条例第三十条）
    refusal_without_ground       不予公开、部分公开未说明理由或未写明不予公开的内容
                                 （条例第三十六条第（三）项、第三十七条）
    remedy_clause_missing        答复文书未告知救济途径（行政复议法第二十条第三款：申请期限最长
                                 延至一年）
    third_party_not_consulted    以保护第三方合法权益为由不予公开、或公开涉及第三方的信息，
                                 却没有书面征求第三方意见（条例第三十二条）
    delivery_method_not_allowed  电子送达未经申请人同意；邮寄未经邮政企业或采用到付
                                 （国办公开办函〔2016〕235号）
    delivered_without_date       已送达的案件没有送达日期（条例第三十三条：无法判断是否按期）
    history_not_replayable       办理记录不能按流程重放（导入或损坏的数据；行政诉讼法第三十四条：
                                 被告对作出的行政行为负有举证责任）

"Disclosure touching a third party" is known from the proposal: its data names a third party
(`third_party`) or its reason invokes the public-interest override (条例第三十二条“公共利益”).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

from ...states.machine import CLOSED, CaseState, Trigger
from ...states.outcomes import OUTCOMES, Family
from ...states.vocabulary import DELIVERY_METHODS, MAX_EXTENSION_WD, SIGNED_FOR
from ..cases import clocks as clk
from ..cases.timeline import Entry

# 国办公开办函〔2016〕235号: the four delivery methods.
POSTAL_MARKERS = ("邮政", "EMS", "ems", "中国邮政", "挂号", "postal", "China Post")
PUBLIC_INTEREST_MARKERS = ("公共利益",)
REMEDY_KINDS = ("reply", "not-handled-notice")  # letters that must carry the remedy clause


@dataclass(frozen=True)
class LetterFact:
    id: int
    kind: str
    number: str
    event_id: int | None
    status: str
    issued_on: dt.date | None
    remedy_clause: bool | None = None  # None: unknown (not rendered, file unreadable)


@dataclass
class CaseRecord:
    case_id: int
    number: str
    received_on: dt.date
    entries: list[Entry]
    facts: clk.CaseFacts | None
    letters: list[LetterFact] = field(default_factory=list)
    heads: frozenset[str] = frozenset()
    applicant_consents: bool = False
    electronic_needs_consent: bool = True
    as_of: dt.date | None = None
    row_delivered_on: dt.date | None = None
    row_state: str | None = None


@dataclass(frozen=True)
class Finding:
    case_id: int
    case_number: str
    rule: str
    title: str
    article: str
    message: str
    seq: int | None = None
    effective_on: dt.date | None = None

    def to_json(self) -> dict:
        return {"case_id": self.case_id, "case": self.case_number, "rule": self.rule, "title": self.title,
                "article": self.article, "message": self.message, "seq": self.seq, "effective_on": self.effective_on}


@dataclass(frozen=True)
class Rule:
    code: str
    title: str
    article: str
    check: Callable[[CaseRecord], list[tuple[str, int | None, dt.date | None]]]


def _steps(rec: CaseRecord, trigger: Trigger) -> list[Entry]:
    return [e for e in rec.entries if e.event.action == trigger.value and e.problem is None]


def _final_state(rec: CaseRecord) -> CaseState | None:
    return rec.facts.state if rec.facts else None


def _answered(rec: CaseRecord) -> bool:
    """A decision went out or is about to (approved): what the court would read."""
    return _final_state(rec) in (CaseState.ANSWERED, CaseState.APPROVED)


def _final_proposal(rec: CaseRecord) -> Entry | None:
    """The proposal behind the outcome (a send-back clears the earlier ones)."""
    last = None
    for e in rec.entries:
        if e.event.action == Trigger.PROPOSE.value:
            last = e
        elif e.event.action == Trigger.SEND_BACK.value:
            last = None
    return last


# --------------------------------------------------------------------------- rules

def correction_notice_late(rec: CaseRecord):
    out = []
    for e in _steps(rec, Trigger.REQUEST_CORRECTION):
        due, eff = e.dues_before.get("correction_notice"), e.event.effective_on
        if due and eff and eff > due:
            out.append((f"补正告知于 {eff} 作出，晚于法定期限 {due}（收到申请之日起7个工作日内）", e.event.seq, eff))
    return out


def correction_not_once(rec: CaseRecord):
    steps = [e for e in rec.entries if e.event.action == Trigger.REQUEST_CORRECTION.value]
    if len(steps) > 1:
        dates = "、".join(str(e.event.effective_on) for e in steps)
        return [(f"补正告知作出了 {len(steps)} 次（{dates}），应当一次性告知", steps[1].event.seq, steps[1].event.effective_on)]
    return []


def answer_late(rec: CaseRecord):
    out = []
    for e in rec.entries:
        if e.problem or e.event.action not in (Trigger.DELIVER.value, Trigger.NOT_HANDLE.value):
            continue
        if e.state_before in CLOSED:  # serving a closed case's letter: the closing step was the act
            continue
        due, eff = e.dues_before.get("answer"), e.event.effective_on
        if due and eff and eff > due:
            if e.event.action == Trigger.DELIVER.value:
                method = e.event.data.get("method")
                basis = "交邮之日" if method == "post" else ("签收之日" if method in SIGNED_FOR else "送达之日")
                what = f"答复于 {eff}（{DELIVERY_METHODS.get(method, method or '送达')}，以{basis}为准）送达"
            else:
                what = f"不予处理告知于 {eff} 作出"
            out.append((f"{what}，晚于答复期限 {due}，属于逾期答复", e.event.seq, eff))
    return out


def _answer_act(rec: CaseRecord) -> Entry | None:
    """The step that answered the case (the delivery, or a not-handled notice) — the act whose
    date answer_late compares with the answer period; None when the case was not answered."""
    last = None
    for e in rec.entries:
        if (e.problem is None and e.event.action in (Trigger.DELIVER.value, Trigger.NOT_HANDLE.value)
                and e.state_before not in CLOSED and e.event.effective_on):
            last = e
    return last


def _iso(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def answer_late_after_calendar(rec: CaseRecord):
    """条例第三十三条: the period is counted in working days, as the State Council's notice of the
    year sets them. A `recompute` event after the answer records a calendar change: compare the
    answer date with the answer due date before the first such change and after the last one."""
    act = _answer_act(rec)
    if act is None:
        return []
    eff = act.event.effective_on
    changes = []
    for e in rec.entries:
        if e.event.seq <= act.event.seq or e.event.action != "recompute":
            continue
        d = e.event.data if isinstance(e.event.data, dict) else {}
        b, a = d.get("before"), d.get("after")
        if not isinstance(b, dict) or not isinstance(a, dict):
            continue
        old, new = _iso(b.get("answer_due")), _iso(a.get("answer_due"))
        if old and new and old != new:
            changes.append((e, old, new))
    if not changes:
        return []
    first, last = changes[0][1], changes[-1][2]
    was_late, is_late = eff > first, eff > last
    if was_late == is_late:
        return []
    e = changes[-1][0]
    now = "原按期答复现为逾期答复" if is_late else "原属逾期答复现为按期答复"
    return [(f"节假日安排变更后，答复期限由 {first} 变为 {last}，{eff} 的答复{now}（{e.event.reason}）",
             e.event.seq, eff)]


def answer_overdue(rec: CaseRecord):
    if rec.facts is None or rec.as_of is None or rec.facts.state in CLOSED or not rec.entries:
        return []
    answer = next((c for c in rec.entries[-1].clocks_after if c.key == "answer"), None)
    if answer and answer.running and answer.due and answer.due < rec.as_of:
        return [(f"答复期限 {answer.due} 已届满，至 {rec.as_of} 仍未答复", None, answer.due)]
    return []


def extension_unapproved(rec: CaseRecord):
    out, total = [], 0
    notified = {l.event_id for l in rec.letters if l.kind == "extension-notice"}
    for e in rec.entries:
        if e.problem is not None:
            continue
        if e.event.action == Trigger.RECEIVE_CORRECTION.value:
            # 条例第三十条: the answer period restarts; the 20 WD cap (第三十三条第二款) counts the
            # extensions of the new period only.
            total = 0
            continue
        if e.event.action != Trigger.EXTEND.value:
            continue
        ev, eff = e.event, e.event.effective_on
        due = e.dues_before.get("answer")
        try:
            n = int(ev.data.get("workdays") or 0)
        except (TypeError, ValueError):
            n = 0
        total += n
        if ev.actor not in rec.heads:
            out.append((f"{eff} 延长答复期限由 {ev.actor} 办理，其不是政府信息公开工作机构负责人，未见负责人同意", ev.seq, eff))
        if due and eff and eff > due:
            out.append((f"延长答复期限于 {eff} 作出，已晚于当时的答复期限 {due}：延期应在期限届满前告知申请人", ev.seq, eff))
        if total > MAX_EXTENSION_WD:
            out.append((f"同一答复期限内延长累计 {total} 个工作日，超过20个工作日的上限", ev.seq, eff))
        if ev.id is not None and ev.id not in notified:
            out.append((f"{eff} 的延长答复期限没有延期答复告知书记录：延期须告知申请人", ev.seq, eff))
    return out


def refusal_without_ground(rec: CaseRecord):
    if not _answered(rec):
        return []
    p = _final_proposal(rec)
    if p is None:
        return []
    key = p.event.data.get("outcome")
    o = OUTCOMES.get(key)
    if o is None or o.family not in (Family.WITHHOLD, Family.PARTIAL):
        return []
    out = []
    if not (p.event.reason or "").strip():
        out.append((f"办理结果为“{o.label}”，但没有说明不予公开的理由", p.event.seq, p.event.effective_on))
    if o.family is Family.PARTIAL and not str(p.event.data.get("withheld") or "").strip():
        out.append(("部分公开，但没有写明不予公开的内容", p.event.seq, p.event.effective_on))
    return out


def remedy_clause_missing(rec: CaseRecord):
    state = _final_state(rec)
    if state not in (CaseState.ANSWERED, CaseState.NOT_HANDLED):
        return []
    kinds = ("not-handled-notice",) if state is CaseState.NOT_HANDLED else ("reply",)
    letters = [l for l in rec.letters if l.kind in kinds]
    seq, eff = None, rec.facts.closed_on if rec.facts else None
    if not letters:
        return [("答复已办结，但没有答复文书记录，无法证明已告知申请行政复议、提起行政诉讼的权利和期限", seq, eff)]
    out = []
    for l in letters:
        if l.remedy_clause is False:
            out.append((f"答复文书 {l.number} 未载明救济途径（申请行政复议、提起行政诉讼的权利、机关和期限）", seq, l.issued_on))
    return out


def third_party_not_consulted(rec: CaseRecord):
    if rec.facts is None or not _answered(rec):
        return []
    consulted = any(c.kind == "third_party" for c in rec.facts.consultations.values())
    if consulted:
        return []
    p = _final_proposal(rec)
    key = rec.facts.outcome
    at = (p.event.seq, p.event.effective_on) if p else (None, None)
    if key == "withhold_third_party":
        return [("以保护第三方合法权益为由不予公开，但没有书面征求第三方意见", *at)]
    o = OUTCOMES.get(key or "")
    if o and o.family in (Family.DISCLOSE, Family.PARTIAL) and p is not None:
        text = p.event.reason or ""
        if p.event.data.get("third_party") or any(m in text for m in PUBLIC_INTEREST_MARKERS):
            return [("公开的信息涉及第三方合法权益，但没有书面征求第三方意见", *at)]
    if any(l.kind == "third-party-notice" for l in rec.letters):
        return [("向第三方发出了告知书，但此前没有书面征求第三方意见", *at)]
    return []


def _consent_at(rec: CaseRecord, seq: int) -> bool:
    """国办公开办函〔2016〕235号: the applicant's consent to electronic delivery in force at event
    `seq`: the last consent step before it; else the registration's answer (the first consent
    step's `previous`, or the applicant row when the case has none)."""
    steps = [e.event for e in rec.entries if e.problem is None
             and e.event.action in (Trigger.CONSENT.value, Trigger.CONSENT_WITHDRAWN.value)]
    before = [ev for ev in steps if ev.seq < seq]
    if before:
        return before[-1].action == Trigger.CONSENT.value
    return bool(steps[0].data.get("previous")) if steps else rec.applicant_consents


def delivery_method_not_allowed(rec: CaseRecord):
    out = []
    for e in _steps(rec, Trigger.DELIVER):
        d, eff = e.event.data, e.event.effective_on
        method = d.get("method")
        if method not in DELIVERY_METHODS:
            out.append((f"送达方式“{method}”不是直接、委托、邮寄或电子送达", e.event.seq, eff))
        elif method == "electronic" and rec.electronic_needs_consent and not _consent_at(rec, e.event.seq):
            out.append(("以电子方式送达，但申请人未同意电子送达", e.event.seq, eff))
        elif method == "post":
            carrier = str(d.get("carrier") or "").strip()
            if carrier and not any(m in carrier for m in POSTAL_MARKERS):
                out.append((f"邮寄送达应通过邮政企业，本案经由“{carrier}”寄送", e.event.seq, eff))
            if d.get("cash_on_delivery") or d.get("cod"):
                out.append(("邮寄送达不得采用到付方式", e.event.seq, eff))
    return out


def delivered_without_date(rec: CaseRecord):
    out = []
    for e in rec.entries:
        if e.event.action == Trigger.DELIVER.value and e.event.effective_on is None:
            out.append(("送达记录没有送达日期，无法判断是否按期答复", e.event.seq, None))
    if not out and _final_state(rec) is CaseState.ANSWERED and rec.facts and rec.facts.delivered_on is None:
        out.append(("案件已答复送达，但没有送达日期，无法判断是否按期答复", None, None))
    if not out and rec.row_state == CaseState.ANSWERED.value and rec.row_delivered_on is None:
        out.append(("案件登记为已答复送达，但没有送达日期，无法判断是否按期答复", None, None))
    return out


def history_not_replayable(rec: CaseRecord):
    first = next((e for e in rec.entries if e.problem), None)
    if first is not None:
        return [(first.problem, first.event.seq, first.event.effective_on)]
    if not rec.entries:
        return [("案件没有任何办理记录", None, None)]
    return []


RULES: tuple[Rule, ...] = (
    Rule("correction_notice_late", "补正告知逾期", "条例第三十条", correction_notice_late),
    Rule("correction_not_once", "补正告知未一次性作出", "条例第三十条", correction_not_once),
    Rule("answer_late", "逾期答复", "条例第三十三条", answer_late),
    Rule("answer_overdue", "答复期限届满仍未答复", "条例第三十三条", answer_overdue),
    Rule("answer_late_after_calendar", "节假日安排变更改变了答复是否逾期", "条例第三十三条",
         answer_late_after_calendar),
    Rule("extension_unapproved", "延期答复程序违法", "条例第三十三条第二款", extension_unapproved),
    Rule("refusal_without_ground", "不予公开未说明理由", "条例第三十六条第（三）项、第三十七条", refusal_without_ground),
    Rule("remedy_clause_missing", "未告知救济途径", "行政复议法第二十条第三款", remedy_clause_missing),
    Rule("third_party_not_consulted", "未征求第三方意见", "条例第三十二条", third_party_not_consulted),
    Rule("delivery_method_not_allowed", "送达方式不合规", "国办公开办函〔2016〕235号", delivery_method_not_allowed),
    Rule("delivered_without_date", "送达日期缺失", "条例第三十三条", delivered_without_date),
    # 行政诉讼法第三十四条: the agency bears the burden of proof; a record that cannot be
    # replayed proves nothing about how the case was handled.
    Rule("history_not_replayable", "办理记录不完整", "行政诉讼法第三十四条", history_not_replayable),
)


def check_case(rec: CaseRecord, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    out = []
    for rule in rules:
        for message, seq, eff in rule.check(rec):
            out.append(Finding(rec.case_id, rec.number, rule.code, rule.title, rule.article, message, seq, eff))
    return out
