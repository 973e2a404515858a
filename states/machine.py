"""Case states and steps as data: the one transition table the engine runs and the diagram
draws. Pure: no database, no clock.

The process follows the eight steps of the local standardisation plans (登记、受理、补正、
征求意见、提出办理意见、作出决定、报批、送达), plus the side exits and side clocks of the 条例.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class CaseState(StrEnum):
    REGISTERED = "registered"
    PROCESSING = "processing"
    AWAITING_CORRECTION = "awaiting_correction"
    CONSULTING = "consulting"
    AWAITING_PAYMENT = "awaiting_payment"
    PROPOSED = "proposed"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    WITHDRAWN = "withdrawn"
    NOT_HANDLED = "not_handled"


STATE_LABELS = {
    CaseState.REGISTERED: "已登记",
    CaseState.PROCESSING: "已受理办理中",
    CaseState.AWAITING_CORRECTION: "待补正",
    CaseState.CONSULTING: "征求意见中",
    CaseState.AWAITING_PAYMENT: "待缴费",
    CaseState.PROPOSED: "已提出办理意见",
    CaseState.AWAITING_APPROVAL: "已作出决定待报批",
    CaseState.APPROVED: "已批准待送达",
    CaseState.ANSWERED: "已答复送达（办结）",
    CaseState.ABANDONED: "视为放弃申请（办结）",
    CaseState.WITHDRAWN: "申请人撤回（办结）",
    CaseState.NOT_HANDLED: "不作为政府信息公开申请处理（办结）",
}

CLOSED = frozenset({CaseState.ANSWERED, CaseState.ABANDONED, CaseState.WITHDRAWN, CaseState.NOT_HANDLED})
OPEN = frozenset(CaseState) - CLOSED


class Trigger(StrEnum):
    ACCEPT = "accept"
    REQUEST_CORRECTION = "request_correction"
    RECEIVE_CORRECTION = "receive_correction"
    CORRECTION_LAPSE = "correction_lapse"
    CONSULT = "consult"
    CONSULTATION_REPLY = "consultation_reply"
    CONSULTATION_LAPSE = "consultation_lapse"
    FEE_NOTICE = "fee_notice"
    FEE_PAID = "fee_paid"
    FEE_LAPSE = "fee_lapse"
    PROPOSE = "propose"
    DECIDE = "decide"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    DELIVER = "deliver"
    EXTEND = "extend"
    DELAY = "delay"
    WITHDRAW = "withdraw"
    CONSENT = "consent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CORRECT_CONTACT = "correct_contact"
    # Retired: before issue 16 a 第三十九条 decision closed the case at once. Stored histories still
    # contain it and replay through it; new ones propose the outcome instead (see TRANSITIONS).
    NOT_HANDLE = "not_handle"


TRIGGER_LABELS = {
    Trigger.ACCEPT: "受理",
    Trigger.REQUEST_CORRECTION: "告知补正",
    Trigger.RECEIVE_CORRECTION: "收到补正申请",
    Trigger.CORRECTION_LAPSE: "逾期未补正",
    Trigger.CONSULT: "征求意见",
    Trigger.CONSULTATION_REPLY: "收到征求意见答复",
    Trigger.CONSULTATION_LAPSE: "征求意见逾期未答复",
    Trigger.FEE_NOTICE: "发出收费通知",
    Trigger.FEE_PAID: "已缴费",
    Trigger.FEE_LAPSE: "逾期未缴费",
    Trigger.PROPOSE: "提出办理意见",
    Trigger.DECIDE: "作出决定（报批）",
    Trigger.APPROVE: "审批同意",
    Trigger.SEND_BACK: "退回修改",
    Trigger.DELIVER: "送达",
    Trigger.EXTEND: "延长答复期限",
    Trigger.DELAY: "确定延迟答复期限（第三十五条）",
    Trigger.WITHDRAW: "申请人撤回",
    Trigger.CONSENT: "申请人同意电子送达",
    Trigger.CONSENT_WITHDRAWN: "申请人撤回电子送达同意",
    Trigger.CORRECT_CONTACT: "更正联系方式",
    Trigger.NOT_HANDLE: "不作为申请处理（第三十九条，旧流程）",
}


@dataclass(frozen=True)
class Transition:
    trigger: Trigger
    sources: frozenset[CaseState]
    dest: CaseState | None  # None: the state does not change (a side step)
    roles: frozenset[str]   # who may fire it
    article: str = ""
    # Only for consultation replies/lapses: where to go when other consultations stay open.
    dest_if_others_open: CaseState | None = None
    # Only for the delivery: where serving a 第三十九条 不予处理告知书 leads (the case's outcome is
    # one of states.outcomes.NOT_HANDLED_NOTICE_OUTCOMES).
    dest_if_not_handled: CaseState | None = None
    # Source states in which the step keeps the state (a closed case's closing letter is served:
    # the case stays closed). There the step happens once: see allowed_triggers(served=...).
    keep_in: frozenset[CaseState] = frozenset()
    # Non-empty: the step no longer runs (stored histories still replay through it); the text
    # tells the clerk what to do instead. Never offered, never drawn.
    retired: str = ""

    def dest_from(self, source: CaseState) -> CaseState | None:
        """The state after the step from `source`; None: the state does not change."""
        return None if source in self.keep_in else self.dest


S = CaseState
T = Trigger
_CLERK = frozenset({"clerk"})
_ACTIVE = frozenset({S.PROCESSING, S.CONSULTING, S.AWAITING_PAYMENT, S.PROPOSED, S.AWAITING_APPROVAL, S.APPROVED})
# Closings with a letter of their own to serve: 视为放弃申请 (逾期不补正 条例第三十条, 逾期未缴费
# 国办函〔2020〕109号) gets a reply, 不予处理 (条例第三十九条) a notice. A withdrawal has none.
_SERVED_CLOSED = frozenset({S.ABANDONED, S.NOT_HANDLED})
# Where the applicant may still be written to: every open state, and a closed case whose letter
# is still to be served (the side steps below happen there until it is served: keep_in).
_WRITES_TO_APPLICANT = OPEN | _SERVED_CLOSED

TRANSITIONS: dict[Trigger, Transition] = {t.trigger: t for t in [
    Transition(T.ACCEPT, frozenset({S.REGISTERED}), S.PROCESSING, _CLERK, "条例第三十三条"),
    Transition(T.REQUEST_CORRECTION, frozenset({S.REGISTERED, S.PROCESSING}), S.AWAITING_CORRECTION, _CLERK, "条例第三十条"),
    Transition(T.RECEIVE_CORRECTION, frozenset({S.AWAITING_CORRECTION}), S.PROCESSING, _CLERK, "条例第三十条"),
    Transition(T.CORRECTION_LAPSE, frozenset({S.AWAITING_CORRECTION}), S.ABANDONED, _CLERK, "条例第三十条"),
    Transition(T.CONSULT, frozenset({S.PROCESSING, S.CONSULTING}), S.CONSULTING, _CLERK, "条例第三十二条、第三十四条"),
    Transition(T.CONSULTATION_REPLY, frozenset({S.CONSULTING}), S.PROCESSING, _CLERK, "条例第三十二条、第三十四条",
               dest_if_others_open=S.CONSULTING),
    Transition(T.CONSULTATION_LAPSE, frozenset({S.CONSULTING}), S.PROCESSING, _CLERK, "条例第三十二条、第三十四条",
               dest_if_others_open=S.CONSULTING),
    Transition(T.FEE_NOTICE, frozenset({S.PROCESSING}), S.AWAITING_PAYMENT, _CLERK, "条例第四十二条"),
    Transition(T.FEE_PAID, frozenset({S.AWAITING_PAYMENT}), S.PROCESSING, _CLERK, "国办函〔2020〕109号"),
    Transition(T.FEE_LAPSE, frozenset({S.AWAITING_PAYMENT}), S.ABANDONED, _CLERK, "国办函〔2020〕109号"),
    # From registered only a 第三十九条 proposal (`ogi case not-handled`: not an application to
    # accept first); every other proposal needs the case accepted (guards._propose).
    Transition(T.PROPOSE, frozenset({S.REGISTERED, S.PROCESSING}), S.PROPOSED, _CLERK, "条例第三十六条、第三十九条"),
    Transition(T.DECIDE, frozenset({S.PROPOSED}), S.AWAITING_APPROVAL, _CLERK, "条例第三十六条"),
    Transition(T.APPROVE, frozenset({S.AWAITING_APPROVAL}), S.APPROVED, frozenset({"reviewer"}), "条例第十七条"),
    Transition(T.SEND_BACK, frozenset({S.PROPOSED, S.AWAITING_APPROVAL}), S.PROCESSING, frozenset({"reviewer"}), ""),
    # 条例第三十九条: a 不予处理告知书 approved like a reply closes the case as not handled when served.
    Transition(T.DELIVER, frozenset({S.APPROVED}) | _SERVED_CLOSED, S.ANSWERED, _CLERK, "条例第三十三条",
               keep_in=_SERVED_CLOSED, dest_if_not_handled=S.NOT_HANDLED),
    Transition(T.EXTEND, _ACTIVE, None, frozenset({"head"}), "条例第三十三条第二款"),
    Transition(T.DELAY, _ACTIVE, None, frozenset({"head"}), "条例第三十五条"),
    Transition(T.WITHDRAW, OPEN, S.WITHDRAWN, _CLERK, ""),
    # 国办公开办函〔2016〕235号: electronic delivery only with the applicant's consent (config).
    Transition(T.CONSENT, _WRITES_TO_APPLICANT, None, _CLERK, "国办公开办函〔2016〕235号", keep_in=_SERVED_CLOSED),
    Transition(T.CONSENT_WITHDRAWN, _WRITES_TO_APPLICANT, None, _CLERK, "国办公开办函〔2016〕235号",
               keep_in=_SERVED_CLOSED),
    # 条例第二十九条第二款第（一）项: the applicant's 联系方式; letters go to the corrected one.
    Transition(T.CORRECT_CONTACT, _WRITES_TO_APPLICANT, None, _CLERK, "条例第二十九条", keep_in=_SERVED_CLOSED),
    Transition(T.NOT_HANDLE, frozenset({S.REGISTERED, S.PROCESSING}), S.NOT_HANDLED, _CLERK, "条例第三十九条",
               retired="不作为政府信息公开申请处理已改为报批办理：请用 ogi case not-handled 提出意见，"
                       "经作出决定、审批同意后出具不予处理告知书并送达（条例第三十九条）"),
]}


def allowed_triggers(state: CaseState, *, served: bool = False) -> list[Trigger]:
    """Steps whose source states include `state`, in table order, retired ones left out. A step
    that keeps a closed state (keep_in: serving its letter, and the side steps before it) is
    offered only while that letter is not `served`."""
    return [t for t, tr in TRANSITIONS.items()
            if state in tr.sources and not tr.retired and not (served and state in tr.keep_in)]


def destination(trigger: Trigger, state: CaseState, others_open: bool = False, not_handled: bool = False) -> CaseState:
    tr = TRANSITIONS[trigger]
    if tr.dest_from(state) is None:
        return state
    if others_open and tr.dest_if_others_open is not None:
        return tr.dest_if_others_open
    if not_handled and tr.dest_if_not_handled is not None:
        return tr.dest_if_not_handled
    return tr.dest
