"""What `ogi case show` and every step print about a case, on any connection (store.rows.Db):
a SQLAlchemy session's, or the bare sqlite3 one of `ogi case show`'s fast start (cli_fast.py).
No SQLAlchemy here."""
from __future__ import annotations

from typing import Any

from ...letters.kinds import short_label
from ...states.machine import CLOSED, STATE_LABELS, TRIGGER_LABELS, CaseState, allowed_triggers
from ...states.outcomes import OUTCOMES
from . import clocks as clk
from ..store import rows
from ..store.calendar_store import calendar_of_db
from ...states.vocabulary import APPLICANT_KINDS, CHANNELS, CONSULTATION_KINDS, DELIVERY_METHODS, OPINIONS
from .steps import SERVED_KINDS, replay_events
from ..config import load_config
from .history import decode
from ..identity import Actor, today
from .standing import clocks_with_standing
from ..masking import mask_event_phones, mask_id_number, mask_phone
from .timeline import action_label, actor_auth_fields, actor_label, data_labels, event_note


def show_on(db: rows.Db, cfg, actor: Actor, ref: str, *, with_history: bool = True) -> dict:
    """`ogi case show` on any connection: a session's, or cli_fast's bare sqlite3 one."""
    cal = calendar_of_db(db)
    case = rows.find_case(db, ref)
    events = rows.case_events(db, case.id)
    out = case_summary(db, case, cal, actor, cfg=cfg, events=events)
    if with_history:
        numbers: dict[int, int] = {}  # consultation id -> its number in the case, filled in order
        names = user_names(cfg)
        out["history"] = [history_row(e, numbers, names) for e in events]
        if not actor.has("clerk", "admin"):  # as the applicant's phone above (更正联系方式)
            for h in out["history"]:
                h["data"] = mask_event_phones(h["data"])
    return out


LETTER_STATUS_LABELS = {"pending": "待生成", "rendered": "已生成", "failed": "生成失败，待重试"}


def letter_status_label(status: str) -> str:
    """A letter's status code in Chinese (`ogi letter list`, `ogi case show`)."""
    return LETTER_STATUS_LABELS.get(status, status)


def user_names(cfg=None) -> dict[str, str]:
    """login -> the name a clerk reads (李明), from the config."""
    return {login: u.name for login, u in (cfg or load_config()).users.items() if u.name}


def history_row(e, numbers: dict[int, int] | None = None, names: dict[str, str] | None = None) -> dict:
    """numbers: the case's consultation numbers so far (clocks.consultation_numbers), extended by a
    consult event: every event naming a consultation shows its number in the case."""
    data = decode(e.data)
    if numbers is not None:
        if e.action == "consult" and isinstance(data, dict) and data.get("consultation_id") is not None:
            numbers.setdefault(data["consultation_id"], len(numbers) + 1)
        data = clk.with_consultation_no(data, numbers)
    return {"seq": e.seq, "recorded_at": e.recorded_at, "actor": e.actor, "actor_label": actor_label(e.actor, names),
            **actor_auth_fields(getattr(e, "actor_auth", "")), "action": e.action, "label": action_label(e.action),
            "effective_on": e.effective_on, "reason": e.reason, "data": data, "hash": e.hash,
            "data_labels": data_labels(e.action, data), "note": event_note(e.action, e.reason, data)}


def case_summary(db: rows.Db, case: rows.CaseRow, cal, actor: Actor, *, clocks: list | None = None,
                 cfg=None, events: list | None = None, facts: clk.CaseFacts | None = None) -> dict:
    """clocks, facts: the case's current clocks and facts when the caller has them (run_step
    computes them from the history it just extended); otherwise replayed from `events` (or the
    stored history)."""
    if clocks is None or facts is None:
        cfg = cfg or load_config()
        events = rows.case_events(db, case.id) if events is None else events
        facts = replay_events(events, cfg)
        clocks = clk.compute_clocks(facts, cal) if clocks is None else clocks
    applicant = rows.applicant(db, case.applicant_id)
    may_see_private = actor.has("clerk", "admin")
    deadlines: dict[str, Any] = {}
    provisional: dict[str, bool] = {}
    consultations_due: dict[str, Any] = {}
    cons = rows.consultations(db, case.id)
    number_of = {c.id: n for n, c in enumerate(cons, 1)}  # in id order = the order they were sent
    for c in clocks:
        if c.key.startswith("consultation:"):
            cid = c.key.split(":", 1)[1]  # keyed by the consultation's number in the case
            consultations_due[str(number_of.get(int(cid), cid)) if cid.isdigit() else cid] = c.due
        else:
            deadlines[f"{c.key}_due"] = c.due
        provisional[c.key] = c.provisional
    if consultations_due:
        deadlines["consultations"] = consultations_due
    letters = rows.letters(db, case.id)
    state = CaseState(case.state)
    day = today()
    o = OUTCOMES.get(case.outcome) if case.outcome else None
    # A closed case's own letter is served once (states.machine keep_in): 送达 while it is not.
    served = case.delivered_on is not None or not any(l.kind in SERVED_KINDS for l in letters)
    return {
        "id": case.id, "number": case.number, "state": case.state, "state_label": STATE_LABELS[state],
        "outcome": case.outcome, "outcome_label": o.label if o else None,
        "info_items": list(facts.info_items),  # what the standing proposal discloses (propose --item)
        "applicant": {
            "name": applicant.name, "type": applicant.kind, "type_label": APPLICANT_KINDS[applicant.kind],
            "id_number": applicant.id_number if may_see_private else mask_id_number(applicant.id_number),
            "phone": applicant.phone if may_see_private else mask_phone(applicant.phone),
            "email": applicant.email, "address": applicant.address,
            "electronic_consent": applicant.electronic_consent,
        },
        "channel": case.channel, "channel_label": CHANNELS.get(case.channel, case.channel),
        "submitted_on": case.submitted_on, "received_on": case.received_on,
        "description": case.description, "requested_form": case.requested_form, "clerk": case.clerk,
        "clerk_name": user_names(cfg).get(case.clerk, case.clerk),
        "deadlines": deadlines, "provisional": provisional,
        "clock_paused": case.clock_paused, "next_due": case.next_due, "next_clock": case.next_clock,
        # Each clock with where it stands today (已逾期 N 个工作日、今日到期、还剩 N 个工作日 ...).
        "as_of": day, "clocks": clocks_with_standing(clocks, day, cal, closed=state in CLOSED),
        # no: the consultation's number in the case (`--consultation N`); id: the stored one.
        "consultations": [{"no": number_of[c.id], "id": c.id, "kind": c.kind, "kind_label": CONSULTATION_KINDS.get(c.kind, c.kind),
                           "party": c.party, "sent_on": c.sent_on, "due_on": c.due_on,
                           "replied_on": c.replied_on, "lapsed_on": c.lapsed_on, "opinion": c.opinion,
                           "opinion_label": OPINIONS.get(c.opinion, c.opinion) if c.opinion else None,
                           "reason": c.reason} for c in cons],
        "letters": [{"id": l.id, "kind": l.kind, "kind_label": short_label(l.kind), "number": l.number,
                     "issued_on": l.issued_on, "status": l.status,
                     "status_label": letter_status_label(l.status),
                     "path": l.path, "sha256": l.sha256} for l in letters],
        "next_steps": [{"action": t.value, "label": TRIGGER_LABELS[t]} for t in allowed_triggers(state, served=served)],
        "closed_on": case.closed_on, "delivered_on": case.delivered_on, "delivery_method": case.delivery_method,
        "delivery_method_label": DELIVERY_METHODS.get(case.delivery_method) if case.delivery_method else None,
    }
