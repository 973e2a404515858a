"""Guards: every reason a step is refused, in Chinese (pure).

`reasons(...)` returns an empty list when the step may run. The facts object is the engine's
`CaseFacts` (duck-typed here so that `states` imports nothing of the engine); `dues` holds the
current due dates the engine computed (answer, correction, payment, consultation:ID).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from .info_items import problems as info_item_problems
from .machine import STATE_LABELS, TRANSITIONS, TRIGGER_LABELS, CaseState, Trigger, allowed_triggers
from .outcomes import (NOT_HANDLED_NOTICE_OUTCOMES, OUTCOMES, PROPOSABLE, Family, names_an_article,
                       third_party_notice_due)
from .vocabulary import CONSULTATION_KINDS, DELIVERY_METHODS, MAX_EXTENSION_WD, OPINIONS, ROLE_LABELS



@dataclass(frozen=True)
class StepRequest:
    trigger: Trigger
    actor: str
    roles: frozenset[str]
    effective_on: dt.date
    today: dt.date
    params: dict = field(default_factory=dict)


def _fmt_state(state: CaseState) -> str:
    return STATE_LABELS[state]


def reasons(req: StepRequest, facts, dues: dict[str, dt.date | None], *,
            electronic_needs_consent: bool = True, applicant_consents: bool = False) -> list[str]:
    out: list[str] = []
    tr = TRANSITIONS[req.trigger]
    label = TRIGGER_LABELS[req.trigger]
    if tr.retired:  # kept in the table for the histories that contain it; never run again
        return [tr.retired]
    # Permission first: a user without the role is told so whatever state the case is in
    # (a read-only user must never learn "not now" as if it might work later).
    if not (req.roles & tr.roles):
        need = "或".join(ROLE_LABELS[r] for r in sorted(tr.roles))
        out.append(f"用户 {req.actor} 没有{label}的权限（需要{need}角色）")
        return out
    if facts.state not in tr.sources:
        served = facts.delivered_on is not None
        nexts = "、".join(f"“{TRIGGER_LABELS[t]}”" for t in allowed_triggers(facts.state, served=served)) or "无（已办结）"
        out.append(f"案件当前状态为“{_fmt_state(facts.state)}”，此时不能{label}；当前可办理的步骤：{nexts}")
        out.extend(_deliver_not_due(req, facts))
        return out
    if facts.state in tr.keep_in and facts.delivered_on is not None and req.trigger is not Trigger.DELIVER:
        # A closed case's side steps (consent, contact) only matter while its letter is unserved.
        return [f"案件当前状态为“{_fmt_state(facts.state)}”，办结文书已于 {facts.delivered_on} 送达，此时不能{label}"]
    if req.effective_on > req.today:
        out.append(f"办理日期 {req.effective_on} 晚于今天 {req.today}：不能登记尚未发生的步骤")
    floor = facts.last_effective or facts.received_on
    if req.effective_on < floor:
        out.append(f"办理日期 {req.effective_on} 早于本案上一步骤的日期 {floor}：请核对日期")
    out.extend(_served(req, facts))
    out.extend(_specific(req, facts, dues, electronic_needs_consent, applicant_consents))
    return out


# --------------------------------------------------------------------------- per step
# One function per step: the reasons its own rule refuses it, given the request `r`, the case's
# facts `f`, its current due dates and the applicant's consent to electronic delivery.

def _text(p: dict, key: str) -> str:
    return (p.get(key) or "").strip()


SERVED_LABELS = {
    Trigger.REQUEST_CORRECTION: ("申请人收到补正告知书之日", "补正告知书发出"),
    Trigger.CONSULT: ("被征求意见方收到征求意见书之日", "征求意见书发出"),
    Trigger.FEE_NOTICE: ("申请人收到收费通知之日", "收费通知发出"),
}


def _served(r: StepRequest, f) -> list[str]:
    """RULES.md "dates given by people": a letter's receipt date (--served) is never before the
    letter was sent (the step's date), never before the application was received (条例第三十一条)
    and never in the future. One line, whichever rule it breaks first."""
    served = r.params.get("served_on")
    if served is None:
        return []
    what, sent = SERVED_LABELS.get(r.trigger, ("收到文书之日", "文书发出"))
    if isinstance(served, str):
        try:
            served = dt.date.fromisoformat(served)
        except ValueError:
            return [f"{what}“{served}”不是有效日期（应为 YYYY-MM-DD）"]
    if served > r.today:
        return [f"{what} {served} 晚于今天 {r.today}：不能登记尚未发生的送达"]
    if served < f.received_on:
        return [f"{what} {served} 早于收到申请之日 {f.received_on}：请核对日期"]
    if served < r.effective_on:
        return [f"{what} {served} 早于{sent}之日 {r.effective_on}：对方不能在文书发出前收到"]
    return []


def _correction_notice(r: StepRequest, f, dues, consent) -> list[str]:
    out = []
    if f.correction_requested_on is not None:
        out.append("补正告知只能一次性作出（条例第三十条），本案已告知过补正")
    if not _text(r.params, "items"):
        out.append("请用 --items 写明需要补正的事项（条例第三十条）")
    return out


def _correction_lapse(r: StepRequest, f, dues, consent) -> list[str]:
    due = dues.get("correction")
    return [f"补正期限到 {due} 才届满，届满前不能认定逾期未补正"] if due and r.effective_on <= due else []


def _consult(r: StepRequest, f, dues, consent) -> list[str]:
    out = []
    if r.params.get("kind") not in CONSULTATION_KINDS:
        out.append("征求意见对象类型只能是 " + _choices(CONSULTATION_KINDS, "或 "))
    if not _text(r.params, "party"):
        out.append("请用 --party 写明被征求意见的第三方或机关名称")
    return out


def _consultation_closing(r: StepRequest, f, dues, consent) -> list[str]:
    """A reply to, or the lapse of, one open consultation (条例第三十二条、第三十四条)."""
    p, out = r.params, []
    # The clerk names a consultation by its number in the case (1, 2, ...: consultation_no); the
    # engine has mapped it to the stored id (consultation_id), or left that empty if none has it.
    cid, no = p.get("consultation_id"), p.get("consultation_no")
    c = f.consultations.get(cid) if cid is not None else None
    if c is None:
        shown = no if no is not None else cid
        out.append(f"本案没有编号为 {shown} 的征求意见" if shown is not None else "请用 --consultation 指明是哪一份征求意见")
    elif c.closed_on is not None:
        out.append(f"征求意见 {c.no}（{c.party}）已于 {c.closed_on} 办结")
    else:
        if r.effective_on < c.sent_on:
            out.append(f"答复日期 {r.effective_on} 早于征求意见发出日期 {c.sent_on}")
        due = dues.get(f"consultation:{cid}")
        if r.trigger is Trigger.CONSULTATION_LAPSE and due and r.effective_on <= due:
            out.append(f"征求意见答复期限到 {due} 才届满，届满前不能认定逾期未答复")
    if r.trigger is Trigger.CONSULTATION_REPLY:
        if p.get("opinion") not in OPINIONS:
            out.append("意见只能是 " + _choices(OPINIONS, "或 "))
        if p.get("opinion") == "object" and not _text(p, "reason"):
            out.append("第三方不同意公开时请用 --reason 记录其理由（条例第三十二条：是否有合理理由）")
    return out


def _fee_notice(r: StepRequest, f, dues, consent) -> list[str]:
    amount = r.params.get("amount")
    if not amount or amount <= 0:
        return ["按收费标准计算的金额为 0 元，不应发出收费通知（国办函〔2020〕109号）"]
    return []


def _fee_lapse(r: StepRequest, f, dues, consent) -> list[str]:
    due = dues.get("payment")
    return [f"缴费期限到 {due} 才届满，届满前不能认定逾期未缴费"] if due and r.effective_on <= due else []


# Options of `ogi case propose` that belong to one kind of answer only.
_THIRD_PARTY_OPTIONS = (("third_party_content", "--disclose-to-third-party"), ("public_interest", "--public-interest"))


def _propose(r: StepRequest, f, dues, consent) -> list[str]:
    p, out = r.params, []
    key = p.get("outcome")
    o = OUTCOMES.get(key)
    if o is None or key not in PROPOSABLE:
        out.append(f"办理结果“{key}”不存在；可选：{', '.join(PROPOSABLE)}")
    elif f.state is CaseState.REGISTERED and key not in NOT_HANDLED_NOTICE_OUTCOMES:
        # 条例第三十九条: a petition or a request for a publication is not an application to accept
        # first; every other answer is given to an accepted application.
        out.append(f"案件尚未受理：未受理时只能提出不作为政府信息公开申请处理的意见（条例第三十九条，"
                   f"ogi case not-handled）；“{o.label}”请先受理")
    else:
        if key in NOT_HANDLED_NOTICE_OUTCOMES and not _text(p, "reason"):
            # 条例第三十九条: the notice tells the applicant why the request is not an application.
            out.append("不作为政府信息公开申请处理须用 --reason 写明理由（条例第三十九条：为何属于信访举报投诉或公开出版物）")
        if o.needs_ground_text and not _text(p, "reason"):
            out.append(f"“{o.label}”须用 --reason 说明理由（条例第三十六条第（三）项、第三十七条）")
        if o.family is Family.PARTIAL and not _text(p, "withheld"):
            out.append("部分公开须用 --withheld 写明不予公开的内容（条例第三十七条）")
        if key == "disclose_already_public" and not _text(p, "where"):
            out.append("已主动公开的，须用 --where 告知获取该信息的方式、途径（条例第三十六条第（一）项）")
        out.extend(_third_party_notice_fields(p, f, key))
        out.extend(_info_items(p, o))
        if key == "withhold_admin_query" and not _text(p, "query_channel"):
            out.append("属于行政查询事项的，须用 --query-channel 告知申请人查询该信息的渠道（条例第三十六条第（三）项）")
        elif key != "withhold_admin_query" and _text(p, "query_channel"):
            out.append("--query-channel 只用于行政查询事项（withhold_admin_query），本办理结果不填写")
        article = _text(p, "article")
        if key == "other" and not names_an_article(article):
            out.append(("“其他处理（其他）”须用 --article 写明所依据的具体条款，如“第三十八条”或"
                        "“《中华人民共和国政府信息公开条例》第三十六条第（三）项”") +
                       (f"；“{article}”没有写明第几条" if article else ""))
        elif key != "other" and article:
            out.append(f"--article 只用于“其他处理（其他）”；“{o.label}”的依据为{o.article}，不填写")
    if f.open_consultations:
        out.append("仍有未办结的征求意见，请先登记其答复或逾期")
    return out


def _info_items(p: dict, o) -> list[str]:
    """The information the answer discloses (propose --item, states/info_items.py): only an
    answer that discloses (条例第三十六条第（一）（二）项、第三十七条) records any."""
    items = p.get("info_items")
    if items and o.family not in (Family.DISCLOSE, Family.PARTIAL):
        return [f"--item 只用于记录予以公开、部分公开时公开的政府信息；“{o.label}”不填写"]
    return info_item_problems(items)


def _third_party_notice_fields(p: dict, f, key: str) -> list[str]:
    """条例第三十二条: disclosing over a third party's objection, the agency tells it in writing what
    it discloses and why; the proposal records both (the same condition as the notice itself)."""
    given = [opt for name, opt in _THIRD_PARTY_OPTIONS if _text(p, name)]
    if third_party_notice_due(key, bool(f.third_party_objectors)):
        missing = [opt for name, opt in _THIRD_PARTY_OPTIONS if not _text(p, name)]
        if missing:
            return ["第三方不同意公开而本机关决定公开的，须将决定公开的政府信息内容和理由书面告知第三方"
                    "（条例第三十二条）：请用 --disclose-to-third-party 写明决定公开的内容，"
                    "用 --public-interest 写明决定公开的理由（不公开可能对公共利益造成的重大影响）"]
    elif given:
        return [f"{'、'.join(given)} 只在第三方不同意公开而本机关决定予以公开或部分公开时填写（条例第三十二条），"
                "本案不需要第三方告知书"]
    return []


def _approve(r: StepRequest, f, dues, consent) -> list[str]:
    if f.proposed_by == r.actor:  # four eyes: the proposer never approves
        return [f"办理意见由 {r.actor} 提出，提出人不能审批自己的意见（请由其他审核人审批）"]
    return []


def _send_back(r: StepRequest, f, dues, consent) -> list[str]:
    return [] if _text(r.params, "reason") else ["退回须用 --reason 写明理由"]


def _deliver(r: StepRequest, f, dues, consent: "Consent") -> list[str]:
    out = []
    method = r.params.get("method")
    if method not in DELIVERY_METHODS:
        out.append("送达方式只能是 direct（直接）、delegated（委托）、post（邮寄）或 electronic（电子）")
    elif method == "electronic" and consent.needed and not consent.given:
        out.append("申请人未同意电子送达（国办公开办函〔2016〕235号），请改用其他送达方式或先登记其同意")
    if f.approved_on and r.effective_on < f.approved_on:
        out.append(f"送达日期 {r.effective_on} 早于审批日期 {f.approved_on}")
    if f.state in TRANSITIONS[Trigger.DELIVER].keep_in:
        # A closed case's own letter (视为放弃申请的答复书、不予处理告知书) is served once; the
        # engine names the letter (served_letter) when the case has one.
        if f.delivered_on is not None:
            out.append(f"本案的办结文书已于 {f.delivered_on} 送达，不能重复送达")
        elif not _text(r.params, "served_letter"):
            out.append(f"本案“{_fmt_state(f.state)}”时没有出具需要送达的文书，无法登记送达")
    return out


def _deliver_not_due(r: StepRequest, f) -> list[str]:
    """Why a closed case without a letter of its own has nothing to serve."""
    if r.trigger is Trigger.DELIVER and f.state is CaseState.WITHDRAWN:
        return ["申请人撤回申请的，本机关不再作出答复，本案没有需要送达的文书"]
    return []


def _extend(r: StepRequest, f, dues, consent) -> list[str]:
    """条例第三十三条第二款: the head's extension, at most 20 WD in total, before the due date."""
    out = []
    n = r.params.get("workdays")
    if not isinstance(n, int) or n < 1:
        out.append("延长的工作日数须为正整数")
    elif f.extension_workdays + n > MAX_EXTENSION_WD:
        left = MAX_EXTENSION_WD - f.extension_workdays
        out.append(f"延长期限合计不得超过{MAX_EXTENSION_WD}个工作日（条例第三十三条第二款），本案最多还能延长 {left} 个工作日")
    due = dues.get("answer")
    if due and r.effective_on > due:
        out.append(f"答复期限已于 {due} 届满：延期须在期限届满前告知申请人（条例第三十三条第二款）")
    if not _text(r.params, "reason"):
        out.append("请用 --reason 写明延长理由")
    return out


def _delay(r: StepRequest, f, dues, consent) -> list[str]:
    out = []
    until, due = r.params.get("until"), dues.get("answer")
    if until is None or (due and until <= due):
        out.append(f"延迟答复的期限须晚于当前答复期限 {due}（条例第三十五条）")
    # 条例第三十五条: the later date is set and notified before the current one expires; like an
    # extension it cannot cure lateness.
    if due and r.effective_on > due:
        out.append(f"答复期限已于 {due} 届满：延迟答复的期限须在答复期限届满前确定并书面告知申请人（条例第三十五条）")
    if not _text(r.params, "reason"):
        out.append("请用 --reason 写明申请理由合理但无法按期答复的情况（条例第三十五条）")
    return out


def _consent(r: StepRequest, f, dues, consent: "Consent") -> list[str]:
    """国办公开办函〔2016〕235号: the applicant's consent to electronic delivery, or its withdrawal."""
    if r.trigger is Trigger.CONSENT and consent.given:
        return ["申请人已同意电子送达，无需重复登记"]
    if r.trigger is Trigger.CONSENT_WITHDRAWN and not consent.given:
        return ["申请人未同意电子送达，无需登记撤回"]
    return []


CONTACT_FIELDS = {"address": ("--address", "通讯地址"), "phone": ("--phone", "联系电话"), "email": ("--email", "电子邮箱")}


def _correct_contact(r: StepRequest, f, dues, consent) -> list[str]:
    """条例第二十九条第二款第（一）项: the applicant's 联系方式, corrected on the record (the engine
    puts the values in force before the step in params["previous"])."""
    p, out = r.params, []
    given = {k: _text(p, k) for k in CONTACT_FIELDS if _text(p, k)}
    previous = p.get("previous") or {}
    if not given:
        out.append("请用 --address、--phone 或 --email 写明更正后的联系方式")
    elif all((previous.get(k) or "") == v for k, v in given.items()):
        out.append("更正后的联系方式与现有记录相同，无需更正")
    if not _text(p, "reason"):
        out.append("请用 --reason 写明更正的依据（如申请人书面告知新的通讯地址）")
    return out


def _choices(labels: dict[str, str], last: str) -> str:
    """"a（甲）、b（乙）或 c（丙）"."""
    items = [f"{k}（{v}）" for k, v in labels.items()]
    return "、".join(items[:-1]) + last + items[-1] if len(items) > 1 else items[0]


@dataclass(frozen=True)
class Consent:
    """Electronic delivery: does the agency's config require consent, and did the applicant give it."""
    needed: bool
    given: bool


_SPECIFIC = {
    Trigger.REQUEST_CORRECTION: _correction_notice,
    Trigger.CORRECTION_LAPSE: _correction_lapse,
    Trigger.CONSULT: _consult,
    Trigger.CONSULTATION_REPLY: _consultation_closing,
    Trigger.CONSULTATION_LAPSE: _consultation_closing,
    Trigger.FEE_NOTICE: _fee_notice,
    Trigger.FEE_LAPSE: _fee_lapse,
    Trigger.PROPOSE: _propose,
    Trigger.APPROVE: _approve,
    Trigger.SEND_BACK: _send_back,
    Trigger.DELIVER: _deliver,
    Trigger.EXTEND: _extend,
    Trigger.DELAY: _delay,
    Trigger.CONSENT: _consent,
    Trigger.CONSENT_WITHDRAWN: _consent,
    Trigger.CORRECT_CONTACT: _correct_contact,
}


def _specific(req: StepRequest, f, dues, electronic_needs_consent: bool, applicant_consents: bool) -> list[str]:
    check = _SPECIFIC.get(req.trigger)
    return check(req, f, dues, Consent(electronic_needs_consent, applicant_consents)) if check else []
