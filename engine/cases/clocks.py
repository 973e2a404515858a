"""Statutory clocks of a case, derived from its history (pure: no database, no wall clock).

`replay(events)` folds the case's step events into `CaseFacts`; `compute_clocks(facts, cal)`
turns those into every current due date with its explanation. Nothing here is stored by hand:
the case row caches the results only for indexed lists and the warning sweep.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Iterable

from ...calendars import WorkCalendar
from ...states.fsm import fire
from ...states.machine import CLOSED, CaseState, Trigger
from ...states.outcomes import not_handled_notice_due
from ...states.vocabulary import (ANSWER_WD, CLOCK_LABELS, CONSULTATION_WD, CORRECTION_NOTICE_WD,
                                 PAYMENT_WD)



@dataclass
class ConsultationFact:
    id: int          # the stored consultation's id (unique across cases; events carry it)
    kind: str
    party: str
    sent_on: dt.date
    served_on: dt.date
    closed_on: dt.date | None = None
    closed_how: str | None = None  # reply | lapse
    opinion: str | None = None
    no: int = 0      # its number in the case, 1, 2, ...: the order of the case's consult events


@dataclass
class CaseFacts:
    state: CaseState
    received_on: dt.date
    correction_period: int = 15
    fee_pauses: bool = True
    correction_requested_on: dt.date | None = None
    correction_served_on: dt.date | None = None
    correction_received_on: dt.date | None = None
    consultations: dict[int, ConsultationFact] = field(default_factory=dict)
    fee_noticed_on: dt.date | None = None
    fee_served_on: dt.date | None = None
    fee_paid_on: dt.date | None = None
    extension_workdays: int = 0     # of the current answer period only (see RECEIVE_CORRECTION)
    extensions: list[tuple[dt.date, int]] = field(default_factory=list)
    # Extensions granted for an answer period that a correction has since restarted.
    superseded_extensions: list[tuple[dt.date, int]] = field(default_factory=list)
    delay_until: dt.date | None = None
    delay_set_on: dt.date | None = None
    outcome: str | None = None
    # The information the standing proposal discloses (propose --item: states/info_items.py).
    info_items: list[dict] = field(default_factory=list)
    proposed_by: str | None = None
    decided_on: dt.date | None = None
    approved_on: dt.date | None = None
    delivered_on: dt.date | None = None
    delivery_method: str | None = None
    closed_on: dt.date | None = None
    last_effective: dt.date | None = None
    # 国办公开办函〔2016〕235号: the applicant's consent to electronic delivery as the case's consent
    # steps left it; None: no such step (the registration's answer stands).
    electronic_consent: bool | None = None

    @property
    def open_consultations(self) -> list[ConsultationFact]:
        return [c for c in self.consultations.values() if c.closed_on is None]

    @property
    def third_party_objectors(self) -> list[ConsultationFact]:
        """Third parties consulted in writing that did not agree (条例第三十二条), in order."""
        return [c for c in self.consultations.values() if c.kind == "third_party" and c.opinion == "object"]

    def consultation_by_no(self, no: int) -> ConsultationFact | None:
        return next((c for c in self.consultations.values() if c.no == no), None)

    @property
    def answer_base(self) -> dt.date:
        """条例第三十条: after a correction the answer period runs from its receipt."""
        return self.correction_received_on or self.received_on


def _d(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


STEP_ACTIONS = {t.value for t in Trigger}


def rule_options(rules) -> dict:
    """The agency's configured rules (config [rules]) as replay()'s keyword arguments. A case's
    register event records the values in force then, and those win (see replay)."""
    return {"correction_period": rules.correction_period_workdays, "fee_pauses": rules.fee_pauses_answer_clock}


def replay(events: Iterable, *, correction_period: int = 15, fee_pauses: bool = True) -> CaseFacts:
    """Fold events (objects with .action, .effective_on, .data dict, .actor) into facts."""
    facts: CaseFacts | None = None
    for ev in events:
        data = ev.data if isinstance(ev.data, dict) else {}
        eff = ev.effective_on
        if ev.action == "register":
            facts = CaseFacts(CaseState.REGISTERED, _d(data["received_on"]),
                              correction_period=data.get("correction_period", correction_period),
                              fee_pauses=data.get("fee_pauses", fee_pauses))
            facts.last_effective = eff
            continue
        if facts is None or ev.action not in STEP_ACTIONS:
            continue
        apply_step(facts, Trigger(ev.action), eff, data, ev.actor)
    if facts is None:
        raise ValueError("history has no registration event")
    return facts


def apply_step(f: CaseFacts, trigger: Trigger, eff: dt.date, data: dict, actor: str) -> None:
    """Apply one step's effect to the facts, including the state change (pure)."""
    others_open = not_handled = False
    if trigger is Trigger.REQUEST_CORRECTION:
        f.correction_requested_on = eff
        f.correction_served_on = _d(data.get("served_on")) or eff
        f.correction_period = data.get("period_workdays", f.correction_period)
    elif trigger is Trigger.RECEIVE_CORRECTION:
        f.correction_received_on = eff
        # 条例第三十条、第三十三条第二款: the answer period restarts in full and an extension belongs
        # to the period it extended: none carries over, the 20 WD cap starts afresh.
        f.superseded_extensions.extend(f.extensions)
        f.extensions = []
        f.extension_workdays = 0
    elif trigger is Trigger.CONSULT:
        cid = data["consultation_id"]
        # The per-case number is the consultation's place among the case's consult events (older
        # events carry only the stored id; newer ones also the number, always the same).
        f.consultations[cid] = ConsultationFact(cid, data["kind"], data["party"], eff,
                                                _d(data.get("served_on")) or eff, no=len(f.consultations) + 1)
    elif trigger in (Trigger.CONSULTATION_REPLY, Trigger.CONSULTATION_LAPSE):
        c = f.consultations[data["consultation_id"]]
        c.closed_on = eff
        c.closed_how = "reply" if trigger is Trigger.CONSULTATION_REPLY else "lapse"
        c.opinion = data.get("opinion")
        others_open = bool(f.open_consultations)
    elif trigger is Trigger.FEE_NOTICE:
        f.fee_noticed_on = eff
        f.fee_served_on = _d(data.get("served_on")) or eff
        f.fee_paid_on = None
    elif trigger is Trigger.FEE_PAID:
        f.fee_paid_on = eff
    elif trigger is Trigger.PROPOSE:
        f.outcome = data["outcome"]
        f.info_items = list(data.get("info_items") or [])
        f.proposed_by = actor
    elif trigger is Trigger.DECIDE:
        f.decided_on = eff
    elif trigger is Trigger.APPROVE:
        f.approved_on = eff
    elif trigger is Trigger.SEND_BACK:
        f.outcome = None
        f.info_items = []
        f.proposed_by = None
        f.decided_on = None
    elif trigger is Trigger.DELIVER:
        f.delivered_on = eff
        f.delivery_method = data.get("method")
        # 条例第三十九条: a served 不予处理告知书 closes the case as not handled.
        not_handled = not_handled_notice_due(f.outcome)
    elif trigger is Trigger.EXTEND:
        f.extension_workdays += int(data["workdays"])
        f.extensions.append((eff, int(data["workdays"])))
    elif trigger is Trigger.DELAY:
        f.delay_until = _d(data["until"])
        f.delay_set_on = eff
    elif trigger is Trigger.CORRECTION_LAPSE:
        f.outcome = "other_correction_lapsed"
    elif trigger is Trigger.FEE_LAPSE:
        f.outcome = "other_fee_unpaid"
    elif trigger is Trigger.CONSENT:
        f.electronic_consent = True
    elif trigger is Trigger.CONSENT_WITHDRAWN:
        f.electronic_consent = False
    elif trigger is Trigger.NOT_HANDLE:  # retired: closed at once (histories before issue 16)
        f.outcome = data.get("outcome", "not_handled_petition")
    f.state = fire(trigger, f.state, others_open=others_open, not_handled=not_handled)
    if f.state in CLOSED and f.closed_on is None:
        f.closed_on = eff
    f.last_effective = eff


def consultation_numbers(events: Iterable) -> dict[int, int]:
    """Stored consultation id -> its number in the case (1, 2, ...), from the case's consult
    events in order (objects with .action and a .data dict), as replay() numbers them."""
    out: dict[int, int] = {}
    for ev in events:
        data = ev.data if isinstance(ev.data, dict) else {}
        if ev.action == Trigger.CONSULT.value and data.get("consultation_id") is not None:
            out.setdefault(data["consultation_id"], len(out) + 1)
    return out


def with_consultation_no(data: dict, numbers: dict[int, int]) -> dict:
    """An event's data as shown: with the consultation's number in the case next to the stored id
    (events recorded before the numbers existed carry only the id)."""
    cid = data.get("consultation_id") if isinstance(data, dict) else None
    if cid is None or "consultation_no" in data or cid not in numbers:
        return data
    return {**data, "consultation_no": numbers[cid]}


# --------------------------------------------------------------------------- clocks



@dataclass(frozen=True)
class Clock:
    key: str              # correction_notice | correction | answer | consultation:ID | payment
    label: str
    due: dt.date | None
    running: bool         # an open clock that warnings watch
    paused: bool = False
    provisional: bool = False
    start: dt.date | None = None
    workdays: int = 0
    explanation: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"key": self.key, "label": self.label, "due": self.due, "running": self.running,
                "paused": self.paused, "provisional": self.provisional, "start": self.start,
                "workdays": self.workdays, "explanation": list(self.explanation)}


def _merge(intervals: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """Union of half-open intervals (a, b]: overlapping pauses count once (条例第三十三条第三款)."""
    out: list[list[dt.date]] = []
    for a, b in sorted(intervals):
        if b <= a:
            continue
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def consultation_due(c: ConsultationFact, cal: WorkCalendar) -> tuple[dt.date, bool]:
    due = cal.add_marked(c.served_on, CONSULTATION_WD, allow_provisional=True)
    return due.date, due.provisional


@dataclass(frozen=True)
class Pause:
    """A period (start, end] not counted in the answer period, if it began while that period ran."""
    start: dt.date   # the letter (consultation, fee notice) went out; not itself excluded
    end: dt.date     # reply / payment received, capped at its own due date (projected while open)
    why: str
    open: bool       # still under way
    letter: str = "征求意见书"  # what went out at `start`


def pauses(f: CaseFacts, cal: WorkCalendar) -> list[Pause]:
    """Every consultation and (when configured) fee-payment period of the case, counted or not."""
    out = []
    for c in f.consultations.values():
        due, _ = consultation_due(c, cal)
        # RULES.md: excluded = (letter sent, reply received], capped at the consultation's due date;
        # an open consultation pauses (projected) up to its due date.
        end = min(c.closed_on, due) if c.closed_on else due
        who = "第三方" if c.kind == "third_party" else "其他机关"
        out.append(Pause(c.sent_on, end, f"征求{who}“{c.party}”意见（条例第三十三条第三款）", c.closed_on is None))
    if f.fee_noticed_on and f.fee_pauses:
        # 国办函〔2020〕109号: the payment period pauses the answer clock (config, default on).
        pay_due = cal.add(f.fee_served_on or f.fee_noticed_on, PAYMENT_WD, allow_provisional=True)
        end = min(f.fee_paid_on, pay_due) if f.fee_paid_on else pay_due
        out.append(Pause(f.fee_noticed_on, end, "收费通知至缴费期间（按配置暂停计算）",
                         f.state is CaseState.AWAITING_PAYMENT, "收费通知"))
    return out


def pause_intervals(f: CaseFacts, cal: WorkCalendar) -> list[tuple[dt.date, dt.date, str]]:
    """Intervals (a, b] of every pause with its reason (whether or not the answer period counts it)."""
    return [(p.start, p.end, p.why) for p in pauses(f, cal)]


def _period_end(f: CaseFacts, cal: WorkCalendar, excluded: int, on: dt.date) -> dt.date:
    """The last day of the answer period as it stood on `on`: 20 WD, the extensions granted by
    then, the days excluded so far, and a 第三十五条 date set by then."""
    ext = sum(n for when, n in f.extensions if when <= on)
    end = cal.add(f.answer_base, ANSWER_WD + ext + excluded, allow_provisional=True)
    if f.delay_until and f.delay_set_on and f.delay_set_on <= on and f.delay_until > end:
        end = f.delay_until
    return end


@dataclass(frozen=True)
class AnswerPauses:
    counted: tuple[Pause, ...]                       # began while the answer period was running
    late: tuple[tuple[Pause, dt.date], ...]          # began after it expired (with the day it expired)
    merged: tuple[tuple[dt.date, dt.date], ...]      # the counted ones, clipped to the period, united
    excluded: int                                    # working days in `merged`


def answer_pauses(f: CaseFacts, cal: WorkCalendar) -> AnswerPauses:
    """条例第三十三条第三款 leaves consultation time (and, by config, payment time) out of the answer
    period only while that period is running: a pause that begins after the period expired does
    not revive it. Taken in order of their start; a pause begun during a counted one counts (the
    period was suspended, not expired), and overlapping ones count once."""
    base = f.answer_base
    counted: list[Pause] = []
    late: list[tuple[Pause, dt.date]] = []
    merged: list[tuple[dt.date, dt.date]] = []
    excluded = 0
    for p in sorted((p for p in pauses(f, cal) if p.end > base), key=lambda p: (p.start, p.end)):
        end = _period_end(f, cal, excluded, p.start)
        if p.start > end and not any(a <= p.start <= b for a, b in merged):
            late.append((p, end))
            continue
        counted.append(p)
        merged = _merge([*merged, (max(p.start, base), p.end)])
        excluded = sum(cal.count(a, b, allow_provisional=True) for a, b in merged)
    return AnswerPauses(tuple(counted), tuple(late), tuple(merged), excluded)


def answer_clock(f: CaseFacts, cal: WorkCalendar) -> Clock:
    base = f.answer_base
    lines = []
    if f.correction_received_on:
        lines.append(f"起算：{base} 收到补正后的申请，答复期限自该日重新计算（条例第三十条）")
    else:
        lines.append(f"起算：{base} 收到申请（条例第三十一条），当日不计入（民法典第二百零一条）")
    ap = answer_pauses(f, cal)
    excluded = ap.excluded
    for p in ap.counted:
        lines.append(f"不计入：{p.start} 之后至 {p.end}（含）{p.why}，"
                     f"{cal.count(max(p.start, base), p.end, allow_provisional=True)} 个工作日")
    if len(ap.merged) < len(ap.counted):
        lines.append(f"重叠的征求意见期间只计一次，合计不计入 {excluded} 个工作日")
    for p, expired in ap.late:
        lines.append(f"照常计算：{p.start} 发出{p.letter}时答复期限已于 {expired} 届满，此后{p.why}"
                     "不再扣除，已届满的期限不因此恢复，案件仍属逾期")
    total = ANSWER_WD + f.extension_workdays + excluded
    for when, n in f.superseded_extensions:
        lines.append(f"不再适用：{when} 延长的 {n} 个工作日属于补正前的答复期限，"
                     "补正后重新计算的期限须另行批准延长（条例第三十条、第三十三条第二款）")
    for when, n in f.extensions:
        lines.append(f"延长：{when} 经政府信息公开工作机构负责人同意延长 {n} 个工作日（条例第三十三条第二款）")
    due = cal.add_marked(base, total, allow_provisional=True)
    lines.append(f"计算：{base} 之后第 {ANSWER_WD}+{f.extension_workdays}+{excluded}={total} 个工作日 = {due.date}")
    result, provisional = due.date, due.provisional
    if f.delay_until and f.delay_until > result:
        lines.append(f"延迟答复：依条例第三十五条确定并告知的合理期限 {f.delay_until}")
        result = f.delay_until
    if provisional:
        lines.append("暂定：所涉年度尚无国务院节假日安排数据，导入后将重新计算")
    open_now = f.state not in CLOSED and f.state is not CaseState.AWAITING_CORRECTION
    # Paused only by a pause the period counts: a consultation or fee notice sent after expiry
    # leaves the clock running, and overdue (条例第三十三条第三款).
    paused = any(p.open for p in ap.counted)
    return Clock("answer", CLOCK_LABELS["answer"], result, open_now and not paused, paused,
                 provisional, base, total, tuple(lines))


def compute_clocks(f: CaseFacts, cal: WorkCalendar) -> list[Clock]:
    clocks: list[Clock] = []
    cn = cal.add_marked(f.received_on, CORRECTION_NOTICE_WD, allow_provisional=True)
    clocks.append(Clock(
        "correction_notice", CLOCK_LABELS["correction_notice"], cn.date,
        running=f.state is CaseState.REGISTERED, provisional=cn.provisional, start=f.received_on,
        workdays=CORRECTION_NOTICE_WD,
        explanation=(f"{f.received_on} 收到申请之后第 {CORRECTION_NOTICE_WD} 个工作日 = {cn.date}（条例第三十条）",)))
    if f.correction_requested_on:
        served = f.correction_served_on or f.correction_requested_on
        cd = cal.add_marked(served, f.correction_period, allow_provisional=True)
        clocks.append(Clock(
            "correction", CLOCK_LABELS["correction"], cd.date,
            running=f.state is CaseState.AWAITING_CORRECTION, provisional=cd.provisional, start=served,
            workdays=f.correction_period,
            explanation=(f"{served} 申请人收到补正告知书之后第 {f.correction_period} 个工作日 = {cd.date}"
                         "（条例第三十条“合理的补正期限”，按配置）",)))
    if f.state is not CaseState.AWAITING_CORRECTION or f.correction_received_on:
        clocks.append(answer_clock(f, cal))
    for c in f.consultations.values():
        due, prov = consultation_due(c, cal)
        clocks.append(Clock(
            f"consultation:{c.id}", f"{CLOCK_LABELS['consultation']}：{c.party}", due,
            running=c.closed_on is None and f.state not in CLOSED, provisional=prov, start=c.served_on,
            workdays=CONSULTATION_WD,
            explanation=(f"{c.served_on} 被征求意见方收到征求意见书之后第 {CONSULTATION_WD} 个工作日 = {due}",)))
    if f.fee_noticed_on:
        served = f.fee_served_on or f.fee_noticed_on
        pd = cal.add_marked(served, PAYMENT_WD, allow_provisional=True)
        clocks.append(Clock(
            "payment", CLOCK_LABELS["payment"], pd.date,
            running=f.state is CaseState.AWAITING_PAYMENT, provisional=pd.provisional, start=served,
            workdays=PAYMENT_WD,
            explanation=(f"{served} 申请人收到收费通知之后第 {PAYMENT_WD} 个工作日 = {pd.date}",)))
    return clocks


def next_running(clocks: list[Clock]) -> Clock | None:
    running = [c for c in clocks if c.running and c.due is not None]
    return min(running, key=lambda c: c.due) if running else None
