"""Use cases for case work. Each public function is one database transaction:
lock the case, replay its history, check the guard, append the event, update the
projection and cached clocks, allocate letter numbers, commit."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlmodel import Session

from ...calendars import WorkCalendar
from ...states.guards import CONTACT_FIELDS, StepRequest, reasons
from ...states.machine import CLOSED, TRANSITIONS, TRIGGER_LABELS, CaseState, Trigger
from ...states.vocabulary import APPLICANT_KINDS, CHANNELS, CONSULTATION_WD
from . import clocks as clk
from ..config import Config
from ..store import rows
from ...errors import InputError, StepRefused
from .history import GENESIS, EventView, canonical_json, decode, event_hash
from ..ledger import store as ledger
from ..identity import SYSTEM, Actor, now_shanghai, require_role
from .fees import fee_amount
from .numbering import allocate_letters
from .standing import overdue_warning

MAX_TEXT = 20000
REGULATIONS_IN_FORCE = dt.date(2008, 5, 1)  # 条例（2007年国务院令第492号）施行之日


@dataclass(frozen=True)
class Registration:
    applicant: str
    applicant_type: str
    channel: str
    received: dt.date                # in person: submitted; mail: signed for / arrived
    description: str
    confirmed: dt.date | None = None  # ordinary mail / online / fax: the confirmation day
    requested_form: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""
    contact: str = ""                 # 联系方式 in one field (--contact): see contact_as_phone_or_address
    electronic_consent: bool = False
    clerk: str | None = None


_PHONE_MARKS = frozenset(" +-()（）－转")  # "(010) 1234-5678转123", "+86 138 0000 0000"


def contact_as_phone_or_address(contact: str, phone: str, address: str) -> tuple[str, str]:
    """(phone, address) once a single 联系方式 (条例第二十九条第二款第（一）项) is filed: when
    neither a phone nor an address was given, a contact of at most 20 characters, with a digit
    and nothing but digits and phone marks, is the phone ("13800000000"); anything else is the
    address ("人民路1号"). A given phone or address always wins."""
    contact = (contact or "").strip()
    if not contact or (phone or "").strip() or (address or "").strip():
        return phone, address
    if (len(contact) <= 20 and any(ch.isdigit() for ch in contact)
            and all(ch.isdigit() or ch in _PHONE_MARKS for ch in contact)):
        return contact, address
    return phone, contact


# Separators, BOM and the bidirectional overrides/isolates (U+202A-202E, U+2066-2069, marks):
# "\u202e" can make a stored name display reversed in a letter or a listing.
_INVISIBLE = frozenset("\u2028\u2029\ufeff\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Free-text step parameters: stored in the history and printed on letters, so cleaned like the rest.
_PARAM_TEXT = {"items": "补正事项", "party": "被征求意见方", "information": "涉及的政府信息", "withheld": "不予公开的内容",
               "where": "获取信息的方式、途径", "responsible_agency": "负责公开该信息的机关", "recipient": "签收人",
               "third_party_content": "决定公开的内容", "public_interest": "决定公开的理由（公共利益）",
               "query_channel": "查询渠道", "article": "所依据的条款",
               "address": "通讯地址", "phone": "联系电话", "email": "电子邮箱"}
# Free text with a shorter limit: the applicant's contact details, as at registration.
_PARAM_LIMIT = {"address": 500, "phone": 500, "email": 500}


def clean_text(value: str | None, what: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    """Refuse control characters and absurd lengths; keep line breaks and tabs."""
    s = (value or "").strip()
    if required and not s:
        raise InputError(f"请填写{what}")
    if len(s) > limit:
        raise InputError(f"{what}过长（{len(s)} 字，上限 {limit} 字），请精简或作为附件另行存档")
    bad = [c for c in s if (ord(c) < 32 and c not in "\n\t") or 0x7F <= ord(c) < 0xA0 or c in _INVISIBLE]
    if bad:
        raise InputError(f"{what}中含有不可见的控制字符（如 U+{ord(bad[0]):04X}），请删除后重新输入")
    return s


def effective_receipt(reg: Registration, cfg: Config, cal: WorkCalendar) -> tuple[dt.date, str]:
    """收到申请之日 by channel (条例第三十一条) and the non-working-day rule (config)."""
    if reg.channel not in CHANNELS:
        raise InputError(f"提交方式“{reg.channel}”不存在；可选：{', '.join(CHANNELS)}")
    if reg.channel in ("in_person", "registered_mail"):
        day, why = reg.received, ("当面提交之日" if reg.channel == "in_person" else "行政机关签收之日") + "（条例第三十一条第（一）（二）项）"
    elif reg.channel == "ordinary_mail":
        if reg.confirmed is None:
            raise InputError("平常信函须于收到当日与申请人确认，请用 --confirmed 写明确认之日（条例第三十一条第（二）项）")
        day, why = reg.confirmed, "与申请人确认之日（条例第三十一条第（二）项）"
    else:
        day = reg.confirmed or reg.received
        why = "双方确认之日（条例第三十一条第（三）项" + ("" if reg.confirmed else "；平台自动确认，最高法指导案例26号") + "）"
    if day < reg.received:
        raise InputError(f"确认日期 {day} 早于收到日期 {reg.received}")
    if cfg.rules.receipt_on_non_workday == "next_workday" and not cal.is_workday(day, allow_provisional=True):
        day = cal.add(day, 1, allow_provisional=True)
        why += "；非工作日收到，按配置以其后第一个工作日为收到之日"
    return day, why


# --------------------------------------------------------------------------- events

def _append_event(db: rows.Db, case_id: int, actor: Actor | str, action: str, effective_on: dt.date | None,
                  reason: str, data: dict, *, tip: tuple[int, str] | None = None,
                  number: str | None = None) -> rows.EventRow:
    """actor: the Actor who acts (its authentication is recorded with it), or the login of the
    service's own work ("system": letters rendered, warnings sent).
    tip: (seq, hash) of the case's last event when the caller has just read it with the case
    row locked (run_step, register): the chain cannot move meanwhile, so no second SELECT.
    number: the case's number when the caller holds the case row (else read here).

    Every event is also a leaf of the agency's log (engine/ledger/store.py), written with it in
    this transaction (one round trip more on PostgreSQL: the counter that numbers the leaves)."""
    login, auth = (actor.login, actor.auth) if isinstance(actor, Actor) else (actor, SYSTEM)
    if tip is None:
        tip = rows.chain_tip(db, case_id) or (0, GENESIS)
    if number is None:
        number = rows.case_number(db, case_id)
    seq, prev = tip[0] + 1, tip[1]
    recorded_at = now_shanghai().isoformat()
    payload = canonical_json(data)
    ev = rows.EventRow(0, case_id, seq, recorded_at, login, action, effective_on, reason, payload, prev,
                       event_hash(case_id, seq, recorded_at, login, action, effective_on, reason, payload, prev, auth),
                       auth)
    ledger.record_config(db, login, auth, recorded_at)  # the rules and roles it acted under, when new
    body = ledger.event_body(ev, number)
    rows.insert_event_and_leaf(db, ev, ledger.leaf_hex(body), body)
    return ev


def append_event(session: Session, case_id: int, actor: Actor | str, action: str, effective_on: dt.date | None = None,
                 reason: str = "", data: dict | None = None) -> rows.EventRow:
    """For other modules (letters, warnings, reviews) that record facts in a case's history."""
    session.flush()  # their own ORM changes first, in the order they were made
    db = rows.of_session(session)
    # Lock the case row first, as every step does: on PostgreSQL two writers that both read
    # "last seq = N" otherwise collide on (case_id, seq) or deadlock on the FK's KEY SHARE lock.
    rows.lock_case(db, case_id)
    return _append_event(db, case_id, actor, action, effective_on, reason, data or {})


def events_of(session: Session, case_id: int) -> list[rows.EventRow]:
    return rows.case_events(rows.of_session(session), case_id)


def facts_of(session: Session, case_id: int, cfg: Config) -> clk.CaseFacts:
    return facts_and_tip(rows.of_session(session), case_id, cfg)[0]


def facts_and_tip(db: rows.Db, case_id: int, cfg: Config) -> tuple[clk.CaseFacts, tuple[int, str]]:
    """The replayed facts and (seq, hash) of the last event, from one read of the history."""
    events = rows.case_events(db, case_id)
    return replay_events(events, cfg), ((events[-1].seq, events[-1].hash) if events else (0, GENESIS))


def replay_events(events: list, cfg: Config) -> clk.CaseFacts:
    """A case's facts from its stored events, with the configured rules."""
    return clk.replay([EventView(e) for e in events], **clk.rule_options(cfg.rules))


def dues_of(clocks: list[clk.Clock]) -> dict[str, dt.date | None]:
    return {c.key: c.due for c in clocks}


def refresh_cache(case: rows.CaseRow, facts: clk.CaseFacts, clocks: list[clk.Clock]) -> None:
    case.state = facts.state.value
    case.closed = facts.state in CLOSED
    case.outcome = facts.outcome
    case.proposed_by = facts.proposed_by
    case.closed_on = facts.closed_on
    case.delivered_on = facts.delivered_on
    case.delivery_method = facts.delivery_method
    answer = next((c for c in clocks if c.key == "answer"), None)
    case.answer_due = answer.due if answer else None
    case.clock_paused = bool(answer and answer.paused)
    nxt = clk.next_running(clocks)
    case.next_due = nxt.due if nxt and not case.closed else None
    case.next_clock = nxt.key if nxt and not case.closed else None
    case.provisional = any(c.provisional for c in clocks if c.running or c.key == "answer")


def load_case(session: Session, ref: str | int, *, for_update: bool = False) -> rows.CaseRow:
    """By id (digits) or by case number."""
    return rows.find_case(rows.of_session(session), ref, for_update=for_update)


# --------------------------------------------------------------------------- use cases

def register(session: "Session | rows.Db", cfg: Config, cal: WorkCalendar, actor: Actor, reg: Registration) -> rows.CaseRow:
    require_role(actor, "clerk", what="登记申请")
    if reg.applicant_type not in APPLICANT_KINDS:
        raise InputError(f"申请人类型“{reg.applicant_type}”不存在；可选：" +
                         "、".join(f"{k}（{v}）" for k, v in APPLICANT_KINDS.items()))
    name = clean_text(reg.applicant, "申请人姓名或名称", required=True, limit=200)
    desc = clean_text(reg.description, "所需信息的描述", required=True)
    form = clean_text(reg.requested_form, "获取信息的形式", limit=500)
    phone, address = contact_as_phone_or_address(reg.contact, reg.phone, reg.address)
    given = {"id_number": reg.id_number, "phone": phone, "email": reg.email, "address": address}
    contact = {k: clean_text(given[k], w, limit=500) for k, w in
               (("id_number", "身份证明"), ("phone", "联系电话"), ("email", "电子邮箱"), ("address", "通讯地址"))}
    from ..identity import today

    now = today()
    if reg.received > now:
        raise InputError(f"收到日期 {reg.received} 晚于今天 {now}，请核对")
    if reg.received < REGULATIONS_IN_FORCE:  # no application predates the 条例 (and its calendars)
        raise InputError(f"收到日期 {reg.received} 早于《政府信息公开条例》施行之日 {REGULATIONS_IN_FORCE}，请核对")
    received_on, why = effective_receipt(reg, cfg, cal)
    if received_on > now:
        raise InputError(f"确认日期 {received_on} 晚于今天 {now}，请核对")
    clerk = reg.clerk or actor.login
    if clerk not in cfg.users:
        raise InputError(f"经办人“{clerk}”未在配置文件中登记")
    db = rows.of_session(session)
    applicant_id = rows.insert_applicant(db, name=name, kind=reg.applicant_type,
                                         electronic_consent=reg.electronic_consent, **contact)
    seq = rows.next_value(db, "case", received_on.year)
    case = rows.CaseRow(0, f"{received_on.year}-{seq:04d}", applicant_id, reg.channel, reg.received, received_on,
                        desc, form, clerk, CaseState.REGISTERED.value, False, None, None, None, None, None,
                        None, None, None, False, False, now_shanghai().isoformat(), 1)
    data = {"received_on": received_on, "submitted_on": reg.received, "channel": reg.channel,
            "receipt_rule": why, "applicant": name, "applicant_type": reg.applicant_type,
            "description": desc, "requested_form": form, "clerk": clerk,
            "correction_period": cfg.rules.correction_period_workdays,
            "fee_pauses": cfg.rules.fee_pauses_answer_clock,
            "contact_digest": _contact_digest(contact)}
    # The projection is what the register event alone gives: computed before the row is written,
    # so the case is inserted once, complete (its id is needed by the event's hash, not by replay).
    facts = clk.replay([EventView(rows.EventRow(0, 0, 1, "", actor.login, "register", received_on, "",
                                                canonical_json(data), GENESIS, ""))])
    refresh_cache(case, facts, clk.compute_clocks(facts, cal))
    rows.insert_case(db, case)
    # A case created in this very transaction has no event yet: the chain starts at GENESIS.
    ev = _append_event(db, case.id, actor, "register", received_on, "", data, tip=(0, GENESIS), number=case.number)
    allocate_letters(db, cfg, case, ev, None, received_on)
    return case


def _contact_digest(contact: dict) -> dict:
    """Keyed digests of the ID number and contact details for the register event: the history is
    read by every role, so not the values themselves (engine/ledger/applicant_digest.py)."""
    from ..ledger.applicant_digest import digests
    from ..ledger.store import digest_key

    return digests(digest_key(create=True), contact)


# --------------------------------------------------------------------------- what the engine derives

MAX_PAGES = 1_000_000
SERVED_KINDS = ("reply", "not-handled-notice")  # the letters `ogi case deliver` serves


def nth_application_this_month(db: rows.Db, case: rows.CaseRow, applicant: rows.ApplicantRow | None) -> int:
    """按件计收 (国办函〔2020〕109号): this case is the applicant's n-th application of the calendar
    month of its 收到申请之日, counting every case of the same applicant received that month in
    (received_on, id) order up to and including it. The same applicant as the repeat check at
    registration (engine/store/keys.py same_applicant): same name key and kind, and no two
    different identity numbers."""
    if applicant is None:
        return 1
    from ..store.keys import normalise, same_applicant

    same = [a.id for a in rows.applicants_by_name_key(db, normalise(applicant.name), applicant.kind)
            if same_applicant(applicant, a)]
    return rows.count_applications_up_to(db, same, case.received_on.replace(day=1), case.received_on, case.id)


def fee_notice_params(db: rows.Db, case: rows.CaseRow, applicant: rows.ApplicantRow | None,
                      params: dict[str, Any]) -> dict[str, Any]:
    """收费通知 (条例第四十二条, 国办函〔2020〕109号): the quantity, amount and standard the law
    gives, computed here, never taken from the caller. 按件: the engine counts the applicant's
    applications this month; 按量: the caller gives the pages."""
    basis, quantity = params.get("basis"), params.get("quantity")
    if basis == "per_application":
        if quantity is not None:
            raise InputError("按件计收时，申请人本月第几件申请由系统统计，不能填写件数（--quantity）")
        quantity = nth_application_this_month(db, case, applicant)
    elif basis == "per_page":
        if quantity is None:
            raise InputError("按量计收须用 --quantity 填写页数")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= MAX_PAGES:
            raise InputError(f"页数须为 1 至 {MAX_PAGES} 之间的整数")
    amount, standard = fee_amount(basis, quantity)  # any other basis: InputError (one basis, never both)
    return {**params, "quantity": quantity, "amount": amount, "standard": standard}


def only_open_consultation(case: rows.CaseRow, facts: clk.CaseFacts) -> clk.ConsultationFact:
    """The case's one consultation with neither a reply nor a lapse (条例第三十二条、第三十四条),
    when the caller did not name one."""
    open_ = facts.open_consultations
    if len(open_) == 1:
        return open_[0]
    if not open_:
        raise InputError(f"案件 {case.number} 没有未办结的征求意见")
    numbers = ", ".join(str(c.no) for c in sorted(open_, key=lambda c: c.no))
    raise InputError(f"案件 {case.number} 有多份未办结的征求意见（编号 {numbers}），请用 --consultation 指明")


def consultation_params(case: rows.CaseRow, facts: clk.CaseFacts, params: dict[str, Any]) -> dict[str, Any]:
    """A reply to or the lapse of a consultation: the clerk names it by its number in the case
    (consultation_no, `--consultation N`: the N-th consultation of this case) or not at all (the
    only open one); callers inside the engine may name the stored id (consultation_id). Both end
    up in the event; a number the case does not have leaves the id empty for the guard to say so."""
    no, cid = params.get("consultation_no"), params.get("consultation_id")
    if no is not None:
        c = facts.consultation_by_no(no) if isinstance(no, int) and not isinstance(no, bool) else None
    elif cid is not None:
        c = facts.consultations.get(cid)
    else:
        c = only_open_consultation(case, facts)
    if c is None:
        return {**params, "consultation_id": None if no is not None else cid}
    return {**params, "consultation_id": c.id, "consultation_no": c.no}


def contact_params(applicant: rows.ApplicantRow | None, params: dict[str, Any]) -> dict[str, Any]:
    """更正联系方式 (条例第二十九条): the given fields, and what they were before (so that a letter
    issued before the correction still renders as it was issued, engine/cases/documents.py)."""
    given = {k: params[k] for k in CONTACT_FIELDS if params.get(k)}
    previous = {k: getattr(applicant, k, "") or "" for k in given}
    return {**{k: v for k, v in params.items() if k not in CONTACT_FIELDS}, **given, "previous": previous}


def derived_params(db: rows.Db, case: rows.CaseRow, applicant: rows.ApplicantRow | None, trigger: Trigger,
                   params: dict[str, Any], facts: clk.CaseFacts | None = None,
                   consents: bool = False) -> dict[str, Any]:
    """The step's parameters with what the engine computes itself, in the step's transaction."""
    if trigger is Trigger.FEE_NOTICE:
        return fee_notice_params(db, case, applicant, params)
    if trigger in (Trigger.CONSULTATION_REPLY, Trigger.CONSULTATION_LAPSE):
        return consultation_params(case, facts, params)
    if trigger is Trigger.CORRECT_CONTACT:
        return contact_params(applicant, params)
    if trigger in (Trigger.CONSENT, Trigger.CONSENT_WITHDRAWN):
        return {**params, "previous": consents}  # the registration's answer is not in its event
    if trigger is Trigger.DELIVER:
        # What is served: the case's last answer or closing letter (答复书、不予处理告知书), if any.
        served = [l.number for l in rows.letters(db, case.id) if l.kind in SERVED_KINDS]
        return {**params, "served_letter": served[-1] if served else None}
    return params


@dataclass
class StepResult:
    case: rows.CaseRow
    event: rows.EventRow
    warnings: list[str]
    extra: dict
    # The case's facts and clocks after the step (what a replay of its history now gives), so
    # that a caller presenting the case need not replay and compute them a second time.
    facts: clk.CaseFacts | None = None
    clocks: list[clk.Clock] | None = None


def run_step(session: "Session | rows.Db", cfg: Config, cal: WorkCalendar, actor: Actor, ref: str | int,
             trigger: Trigger, effective_on: dt.date, today: dt.date, params: dict[str, Any],
             reason: str = "") -> StepResult:
    reason = clean_text(reason, "理由")
    if trigger is Trigger.FEE_NOTICE and (params.get("amount") is not None or params.get("standard") is not None):
        # 条例第四十二条: only the 国办函〔2020〕109号 standard; no caller records an amount of its own.
        raise InputError("收费金额由系统按国办函〔2020〕109号计算，不能直接填写")
    params = {k: clean_text(v, _PARAM_TEXT[k], limit=_PARAM_LIMIT.get(k, 2000))
              if k in _PARAM_TEXT and isinstance(v, str) else v for k, v in params.items()}
    db = rows.of_session(session)
    case = rows.find_case(db, ref, for_update=True)
    facts, tip = facts_and_tip(db, case.id, cfg)
    clocks_before = clk.compute_clocks(facts, cal)
    dues = dues_of(clocks_before)
    applicant = rows.applicant(db, case.applicant_id)
    consents = electronic_consent(facts, applicant)
    tr = TRANSITIONS[trigger]
    if actor.roles & tr.roles and not tr.retired:  # a user without the role hears that first (guards.reasons)
        params = derived_params(db, case, applicant, trigger, params, facts, consents)
    req = StepRequest(trigger, actor.login, actor.roles, effective_on, today, {**params, "reason": reason})
    refused = reasons(req, facts, dues, electronic_needs_consent=cfg.rules.electronic_delivery_requires_consent,
                      applicant_consents=consents)
    until = params.get("until")
    if trigger is Trigger.DELAY and until and not cal.is_workday(until, allow_provisional=True):
        # A period ending on a day off runs to the next working day (民法典第二百零三条): name that day.
        refused.append(f"延迟答复期限 {until} 不是工作日，请改为工作日（如 {cal.add(until, 1, allow_provisional=True)}）")
    if refused:
        raise StepRefused(TRIGGER_LABELS[trigger], refused)
    # Serving a closed case's letter is not the answer: its date was the closing step's.
    warnings = [] if facts.state in CLOSED else _late_warnings(trigger, effective_on, dues, overdue_warning(
        next((c for c in clocks_before if c.key == "answer"), None), effective_on, cal), today)
    data = {k: v for k, v in params.items() if v is not None}
    extra: dict = {}
    if trigger is Trigger.CONSULT:
        served = params.get("served_on") or effective_on
        due = cal.add(served, CONSULTATION_WD, allow_provisional=True)
        con_id = rows.insert_consultation(db, case_id=case.id, kind=params["kind"],
                                          party=clean_text(params["party"], "被征求意见方", required=True, limit=300),
                                          sent_on=effective_on, due_on=due)
        no = len(facts.consultations) + 1  # its number in the case (clocks.apply_step numbers it alike)
        data.update(consultation_id=con_id, consultation_no=no, due_on=due)
        extra.update(consultation_no=no, consultation_id=con_id, consultation_due=due)
    ev = _append_event(db, case.id, actor, trigger.value, effective_on, reason, data, tip=tip, number=case.number)
    clk.apply_step(facts, trigger, effective_on, decode(ev.data), actor.login)
    if trigger is Trigger.CONSULTATION_REPLY:
        rows.record_consultation_reply(db, params["consultation_id"], effective_on, params.get("opinion"), reason)
    elif trigger is Trigger.CONSULTATION_LAPSE:
        rows.record_consultation_lapse(db, params["consultation_id"], effective_on)
    elif trigger is Trigger.CORRECT_CONTACT:
        # The applicant row caches the contact details the history now gives (letters read the events).
        rows.update_applicant_contact(db, case.applicant_id, {k: data[k] for k in CONTACT_FIELDS if data.get(k)})
    elif trigger in (Trigger.CONSENT, Trigger.CONSENT_WITHDRAWN):
        rows.set_applicant_consent(db, case.applicant_id, facts.electronic_consent)
    clocks_after = clk.compute_clocks(facts, cal)
    refresh_cache(case, facts, clocks_after)
    rows.save_projection(db, case)
    allocate_letters(db, cfg, case, ev, trigger, effective_on)
    return StepResult(case, ev, warnings, extra, facts, clocks_after)


def electronic_consent(facts: clk.CaseFacts, applicant: rows.ApplicantRow | None) -> bool:
    """国办公开办函〔2016〕235号: does the applicant consent to electronic delivery now? The case's
    last consent step says so; without one, the answer given at registration (the applicant row)."""
    if facts.electronic_consent is not None:
        return facts.electronic_consent
    return bool(applicant and applicant.electronic_consent)


def _late_warnings(trigger: Trigger, eff: dt.date, dues: dict, overdue: str | None = None,
                   today: dt.date | None = None) -> list[str]:
    """Steps the law allows but a court would criticise: say so at once. `overdue`: the words
    for a case whose answer period expired before the step (standing.overdue_warning); every
    step on such a case carries them, once, with what they mean for this step."""
    out = []
    if trigger is Trigger.REQUEST_CORRECTION and dues.get("correction_notice") and eff > dues["correction_notice"]:
        out.append(f"注意：补正告知晚于法定期限 {dues['correction_notice']}（条例第三十条：7个工作日内一次性告知）")
    if overdue is None and trigger is Trigger.DELIVER and dues.get("answer") and eff > dues["answer"]:
        overdue = f"注意：答复期限已于 {dues['answer']} 届满"  # a clock that is neither running nor paused
    if overdue is not None:
        if today is not None and eff != today:
            overdue += f"（按办理日期 {eff} 计）"
        if trigger is Trigger.DELIVER:
            overdue += "；本次送达属于逾期答复"
        elif trigger in (Trigger.CONSULT, Trigger.FEE_NOTICE):
            # 条例第三十三条第三款: only time within the running period is left out; expiry stays.
            overdue += "；此后的征求意见、缴费期间不再扣除，本案仍属逾期"
        out.append(overdue)
    return out


def recompute_open_cases(session: Session, cfg: Config, cal: WorkCalendar, actor: Actor | str, why: str,
                         window: tuple[dt.date, dt.date] | None = None) -> list[dict]:
    """After a calendar change: recompute cases and log each change in its history.

    window None: every open case. window (first, last), the days a changed notice governs: every
    case, open or closed, one of whose clock periods reaches into the window (a closed case's
    answer may turn late or timely: 条例第三十三条 counts working days by the notice in force).
    The `recompute` event is no step (clocks.STEP_ACTIONS): it changes no state, so it may be
    appended to a closed case. A change of a closed case carries `"closed": True`.
    """
    db = rows.of_session(session)
    changes = []
    if window is None:
        ids = db.all("SELECT id FROM cases WHERE closed = ? ORDER BY id", (False,))
    else:
        ids = db.all("SELECT id FROM cases WHERE received_on <= ? ORDER BY id", (window[1],))
    for (case_id,) in ids:
        case = rows.case_by_id(db, case_id)
        facts, tip = facts_and_tip(db, case_id, cfg)
        clocks = clk.compute_clocks(facts, cal)
        if window is not None and not _touches(clocks, case, window):
            continue
        was_closed = bool(case.closed)
        before = {"answer_due": case.answer_due, "next_due": case.next_due, "provisional": case.provisional}
        refresh_cache(case, facts, clocks)
        after = {"answer_due": case.answer_due, "next_due": case.next_due, "provisional": case.provisional}
        dues = dues_of(clocks)
        for con in rows.consultations(db, case_id):
            new_due = dues.get(f"consultation:{con.id}")
            if new_due and new_due != con.due_on:  # the cached column follows the recomputed clock
                before.setdefault("consultations", {})[str(con.id)] = con.due_on
                after.setdefault("consultations", {})[str(con.id)] = new_due
                rows.set_consultation_due(db, con.id, new_due)
        if before != after:
            _append_event(db, case_id, actor, "recompute", None, why, {"before": before, "after": after}, tip=tip,
                          number=case.number)
            rows.save_projection(db, case)
            change = {"case": case.number, "before": before, "after": after}
            if was_closed:
                change["closed"] = True
            changes.append(change)
    return changes


def _touches(clocks: list[clk.Clock], case: rows.CaseRow, window: tuple[dt.date, dt.date]) -> bool:
    """Whether a clock period (start, due] reaches into the window, by the new calendar or by the
    cached answer due date (the old calendar's answer)."""
    first, last = window
    for c in clocks:
        if c.start is not None and c.due is not None and c.start <= last and c.due >= first:
            return True
    return case.answer_due is not None and case.answer_due >= first and case.received_on <= last
