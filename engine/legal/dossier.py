"""Presenting one case's record to the legal office (法制机构): its history (`ogi case history`)
and the case dossier for review or court (`ogi audit export`: PDF, CSV or JSON).

The dossier carries the integrity check of the case (engine/legal/audit.py verify_session) and
its compliance findings (engine/legal/compliance.py). The PDF is the HTML of
engine/legal/templates/dossier.html printed by letters/pdf.py.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlmodel import Session, select

from ...letters.kinds import short_label
from ...states.machine import STATE_LABELS, CaseState
from ...states.outcomes import OUTCOMES
from ..store.calendar_store import load_calendar
from ...states.vocabulary import (APPLICANT_KINDS, CHANNELS, CONSULTATION_KINDS, DELIVERY_METHODS, OPINIONS, auth_label,
                                  auth_notes, clock_label)
from ..cases import clocks as clk
from ..cases.steps import load_case
from ..config import Config, load_config
from ..store.db import read_session
from ...errors import InputError
from ..cases.history import verify_chain
from ..identity import now_shanghai, resolve_actor, today
from ..masking import mask_event_phones, mask_id_number, mask_phone
from ..store.tables import Applicant, Case, Consultation, Letter
from ..cases.summary import letter_status_label
from ..cases.timeline import SYSTEM_ACTOR, build, event_note as _note, value_label
from .audit import snapshot, verify_session


# --------------------------------------------------------------------------- history

def history_session(s: Session, cfg: Config, case: Case) -> dict:
    from ..store.tables import HistoryEvent as HE

    cal = load_calendar(s)
    rows = list(s.exec(select(HE).where(HE.case_id == case.id).order_by(HE.seq)))
    entries, facts = build(rows, cal, **clk.rule_options(cfg.rules))
    names = {u.login: u.name for u in cfg.users.values()}
    link = verify_chain(rows)
    return {"id": case.id, "number": case.number, "state": case.state,
            "state_label": STATE_LABELS.get(CaseState(case.state)) if case.state in CaseState._value2member_map_ else case.state,
            "chain_ok": link is None, "broken": link.to_json() if link else None,
            "entries": [e.to_json(names) for e in entries], "_facts": facts, "_calendar": cal}


def history(login: str | None, ref: str) -> dict:
    cfg = load_config()
    actor = resolve_actor(cfg, login)
    with read_session() as s:
        case = load_case(s, ref)
        out = history_session(s, cfg, case)
    out.pop("_facts"), out.pop("_calendar")
    if not actor.has("clerk", "admin"):  # 更正联系方式: phone numbers masked, as in the dossier
        for e in out["entries"]:
            e["data"] = mask_event_phones(e["data"])
    return out


# --------------------------------------------------------------------------- dossier

EXPORT_FORMATS = ("pdf", "csv", "json")


def dossier(login: str | None, ref: str) -> dict:
    """Everything a reviewer or a court needs about one case, as plain data."""
    from .challenges import challenges_of, to_json as challenge_json
    from .compliance import check_case
    from .check import load_records

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    now = today()
    with read_session() as s:
        snapshot(s)
        case = load_case(s, ref)
        ap = s.get(Applicant, case.applicant_id)
        hist = history_session(s, cfg, case)
        facts, cal = hist.pop("_facts"), hist.pop("_calendar")
        clocks = clk.compute_clocks(facts, cal) if facts else []
        cons = s.exec(select(Consultation).where(Consultation.case_id == case.id).order_by(Consultation.id)).all()
        letters = s.exec(select(Letter).where(Letter.case_id == case.id).order_by(Letter.id)).all()
        challenges = [challenge_json(c) for c in challenges_of(s, case.id)]
        records = load_records(s, cfg, cal, [case.id], now)
        findings = [f.to_json() for r in records for f in check_case(r)]
        integrity = verify_session(s, cfg, case_id=case.id)
        from ..ledger.store import latest_checkpoint

        checkpoint = latest_checkpoint(s)  # the newest checkpoint of the log the dossier was made from
    private = actor.has("clerk", "admin")
    o = OUTCOMES.get(case.outcome) if case.outcome else None
    letter_problems = {b["letter_id"]: b["problem"] for b in integrity["broken"] if b["letter_id"] is not None}
    case_problems = [b for b in integrity["broken"] if b["case_id"] == case.id]
    return {
        "generated_at": now_shanghai().isoformat(), "generated_by": actor.login,
        "generated_by_auth": actor.auth, "generated_by_auth_label": auth_label(actor.auth), "agency": cfg.agency.name,
        "case": {
            "id": case.id, "number": case.number, "state": case.state, "state_label": hist["state_label"],
            "outcome": case.outcome, "outcome_label": o.label if o else None, "outcome_article": o.article if o else None,
            "report_row": o.report_row if o else None,
            "applicant": {"name": ap.name, "type": ap.kind, "type_label": APPLICANT_KINDS.get(ap.kind, ap.kind),
                          "id_number": ap.id_number if private else mask_id_number(ap.id_number),
                          "phone": ap.phone if private else mask_phone(ap.phone), "address": ap.address,
                          "electronic_consent": ap.electronic_consent},
            "channel": case.channel, "channel_label": CHANNELS.get(case.channel, case.channel),
            "submitted_on": case.submitted_on, "received_on": case.received_on, "description": case.description,
            "requested_form": case.requested_form, "clerk": case.clerk, "closed_on": case.closed_on,
            "delivered_on": case.delivered_on, "delivery_method": case.delivery_method,
            "delivery_method_label": DELIVERY_METHODS.get(case.delivery_method) if case.delivery_method else None,
        },
        "timeline": hist["entries"] if private else [{**e, "data": mask_event_phones(e["data"])} for e in hist["entries"]],
        "clocks": [c.to_json() for c in clocks],
        # no: the consultation's number in the case (`--consultation N`); id: the stored one
        "consultations": [{"no": n, "id": c.id, "kind": c.kind, "kind_label": CONSULTATION_KINDS.get(c.kind, c.kind),
                           "party": c.party, "sent_on": c.sent_on, "due_on": c.due_on,
                           "replied_on": c.replied_on, "lapsed_on": c.lapsed_on, "opinion": c.opinion,
                           "opinion_label": OPINIONS.get(c.opinion, c.opinion) if c.opinion else None,
                           "reason": c.reason} for n, c in enumerate(cons, 1)],
        "letters": [{"id": l.id, "kind": l.kind, "kind_label": short_label(l.kind), "number": l.number, "issued_on": l.issued_on, "status": l.status,
                     "status_label": letter_status_label(l.status), "file": Path(l.path).name if l.path else None, "sha256": l.sha256,
                     "intact": None if not l.sha256 else l.id not in letter_problems,
                     "problem": letter_problems.get(l.id)} for l in letters],
        "challenges": challenges,
        "integrity": {"ok": not case_problems, "broken": case_problems},
        "findings": findings,
        "checkpoint": checkpoint,
    }


def export(login: str | None, ref: str, fmt: str, out: str | None) -> dict:
    """Build the dossier and write it as PDF, CSV or JSON; returns {format, path|content}."""
    from ...letters.pdf import html_to_pdf
    from ..store.files import write_output  # --out: never onto the instance's own files

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"导出格式“{fmt}”不存在；可选：{'、'.join(EXPORT_FORMATS)}")
    d = dossier(login, ref)
    if fmt == "json":
        from ..output import dump_json

        text = dump_json(d) + "\n"
        if out is None:
            return {"format": "json", "content": text}
        return {"format": "json", "path": str(write_output(text, out))}
    if fmt == "csv":
        text = dossier_csv(d)
        if out is None:
            return {"format": "csv", "content": text}
        return {"format": "csv", "path": str(write_output("\ufeff" + text, out))}
    pdf = html_to_pdf(dossier_html(d))
    if out is None:
        from ..config import home_dir

        out = str(home_dir() / "exports" / f"案卷-{d['case']['number']}.pdf")
    return {"format": "pdf", "path": str(write_output(pdf, out)), "bytes": len(pdf)}


def _fmt_dues(dues: dict) -> str:
    return "；".join(f"{clock_label(k)} {v}" for k, v in dues.items() if v) or "—"


def change_text(entry: dict) -> str:
    parts = []
    for k in entry["changed"]:
        b, a = entry["dues_before"].get(k), entry["dues_after"].get(k)
        parts.append(f"{clock_label(k)}：{b or '—'} → {a or '—'}")
    return "；".join(parts)


def event_note(entry: dict) -> str:
    """What a history entry recorded, in Chinese (engine/cases/timeline.py event_note)."""
    if "note" in entry:
        return entry["note"]
    return _note(entry["action"], entry["reason"], entry["data"])


def actor_shown(entry: dict) -> str:
    """Who acted, as the dossier names them: 李明（li）; 系统 for the engine's own work."""
    name, login = entry["actor_name"], entry["actor"]
    return name if login in (SYSTEM_ACTOR, name) else f"{name}（{login}）"


def entry_auth_label(entry: dict) -> str:
    """How the entry's actor was authenticated, in Chinese (声明身份（未经认证）, 系统 ...)."""
    return entry.get("actor_auth_label") or auth_label(entry.get("actor_auth"))


def timeline_auth_notes(timeline: list[dict]) -> list[str]:
    """The notes under the history: which entries' actors were declared, or are not recorded."""
    return auth_notes((e["seq"], e.get("actor_auth") or "") for e in timeline)


def dossier_csv(d: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    c = d["case"]

    def row(category, seq="", day="", item="", who="", how="", note="", before="", after="", change="") -> None:
        w.writerow([category, seq, day, item, who, how, note, before, after, change])

    row("类别", "序号", "日期", "事项", "办理人", "认证方式", "说明", "期限（办理前）", "期限（办理后）", "期限变化")
    row("案件", "", c["received_on"], f"{c['number']} {c['state_label']}", c["clerk"], "",
        f"申请人：{c['applicant']['name']}（{c['applicant']['type_label']}）；所需信息：{c['description']}"
        + (f"；办理结果：{c['outcome_label']}（{c['outcome_article']}）" if c["outcome_label"] else ""))
    for e in d["timeline"]:
        note = "；".join(x for x in (event_note(e), f"记录时间 {e['recorded_at']}" if e["recorded_at"] else "") if x)
        row("办理记录", e["seq"], e["effective_on"] or "", e["label"], actor_shown(e), entry_auth_label(e), note,
            _fmt_dues(e["dues_before"]), _fmt_dues(e["dues_after"]), change_text(e))
    for text in timeline_auth_notes(d["timeline"]):
        row("认证说明", note=text)
    for k in d["clocks"]:
        row("期限", "", k["due"] or "", k["label"], note=" / ".join(k["explanation"]))
    for l in d["letters"]:
        state = "未生成" if l["intact"] is None else ("完好" if l["intact"] else f"异常：{l['problem']}")
        row("文书", l["id"], l["issued_on"], f"{l['number']} {l['kind_label']}", note=f"SHA-256 {l['sha256'] or '—'}；{state}")
    for ch in d["challenges"]:
        row("复议诉讼", ch["id"], ch["filed_on"], ch["kind_label"],
            note=f"{ch['body']}；{ch['result_label']}" + (f"（{ch['result_on']}）" if ch["result_on"] else ""))
    for f in d["findings"]:
        row("合规问题", f["seq"] or "", f["effective_on"] or "", f["title"], note=f"{f['message']}（{f['article']}）")
    row("完整性", "", "", "完好" if d["integrity"]["ok"] else "异常",
        note="；".join(b["problem"] for b in d["integrity"]["broken"]))
    from ..ledger.store import checkpoint_line

    row("日志检查点", note=checkpoint_line(d.get("checkpoint")))
    return buf.getvalue()


def dossier_html(d: dict) -> str:
    from ...letters.pdf import BASE_CSS
    from .pages import document

    return document("dossier.html", d=d, c=d["case"], css=BASE_CSS, note=event_note, change=change_text,
                    method_label=lambda m: value_label("method", m), who=actor_shown, how=entry_auth_label,
                    auth_notes=timeline_auth_notes(d["timeline"]), checkpoint=_checkpoint_line(d))


def _checkpoint_line(d: dict) -> str:
    from ..ledger.store import checkpoint_line

    return checkpoint_line(d.get("checkpoint"))
