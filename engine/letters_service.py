"""Rendering letters after the step's commit (DESIGN.md): the step allocated the 文号 and a
`letter` row in its transaction; here each pending letter is built from the case history up to
that step (so a re-render is byte-identical), written atomically (temporary name, fsync,
rename) and its SHA-256 recorded in the case history. A failure leaves the step committed and
the letter pending/failed for a retry; a changed rendering becomes a new recorded version,
never a silent overwrite."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from sqlmodel import select

from ..states.machine import Trigger
from . import clocks as clk
from .calendar_store import load_calendar
from .cases import APPLICANT_KINDS, append_event, events_of
from .config import Config, home_dir, load_config
from .db import read_session, write_session
from .errors import LetterError, NotFound
from .history import EventView
from .masking import mask_id_number
from .models import Applicant, Case, Letter

FEE_HOW_TO_PAY = "请持本通知书到本机关政府信息公开工作机构缴纳，或通过本机关公布的非税收入缴款渠道缴纳。"


def letters_dir() -> Path:
    return Path(os.environ.get("OGI_LETTERS_DIR") or home_dir() / "letters")


def build_context(session, cfg: Config, letter: Letter):
    """The letter's content from the case history up to the step that made it due."""
    from ..letters import Agency, Applicant as LApplicant, LetterContext
    from ..letters.kinds import LetterKind

    case = session.get(Case, letter.case_id)
    ap = session.get(Applicant, case.applicant_id)
    rows = [EventView(e) for e in events_of(session, case.id)]
    upto = [e for e in rows if e.seq <= next(r.seq for r in rows if r.id == letter.event_id)]
    ev = upto[-1]
    facts = clk.replay(upto, correction_period=cfg.rules.correction_period_workdays,
                       fee_pauses=cfg.rules.fee_pauses_answer_clock)
    cal = load_calendar(session)
    clocks = {c.key: c for c in clk.compute_clocks(facts, cal)}
    answer = clocks.get("answer")
    a = cfg.agency
    clerk = cfg.users.get(case.clerk)
    kw: dict = dict(
        kind=LetterKind(letter.kind), number=letter.number, issued_on=letter.issued_on,
        agency=Agency(name=a.name, seal=a.seal, address=a.address or None, phone=a.phone or None,
                      review_body=a.review_body or None, court=a.court or None),
        case_number=case.number, received_on=case.received_on,
        applicant=LApplicant(name=ap.name, type_label=APPLICANT_KINDS.get(ap.kind, "其他"),
                             address=ap.address or None, phone=None, email=ap.email or None,
                             id_number=mask_id_number(ap.id_number) or None),
        request_description=case.description, requested_form=case.requested_form or None,
        answer_due=answer.due if answer else None,
        provisional=any(c.provisional for c in clocks.values() if c.running),
        clerk_name=clerk.name if clerk else case.clerk,
    )
    kind = letter.kind
    propose = next((e for e in reversed(upto) if e.action == Trigger.PROPOSE.value), None)
    if kind == "correction-notice":
        items = [s.strip() for s in ev.data.get("items", "").replace("；", "\n").replace(";", "\n").splitlines() if s.strip()]
        kw.update(correction_items=tuple(items), correction_workdays=facts.correction_period,
                  correction_due=clocks["correction"].due if "correction" in clocks else None)
    elif kind == "extension-notice":
        kw.update(extension_workdays=int(ev.data["workdays"]), new_due=answer.due if answer else None,
                  reasons=ev.reason or None)
    elif kind in ("third-party-consultation", "agency-consultation"):
        cid = ev.data["consultation_id"]
        kw.update(consult_party=ev.data["party"], consult_information=ev.data.get("information") or case.description,
                  consult_due=clocks[f"consultation:{cid}"].due)
    elif kind == "third-party-notice":
        objector = next((c for c in facts.consultations.values() if c.kind == "third_party" and c.opinion == "object"), None)
        kw.update(consult_party=objector.party if objector else None, consult_information=case.description,
                  reasons=(propose.reason if propose else None) or None, outcome=facts.outcome)
    elif kind == "fee-notice":
        kw.update(fee_basis=ev.data["basis"], fee_standard=ev.data["standard"], fee_quantity=ev.data["quantity"],
                  fee_amount=ev.data["amount"], fee_due=clocks["payment"].due if "payment" in clocks else None,
                  fee_how_to_pay=cfg.raw.get("agency", {}).get("fee_how_to_pay", FEE_HOW_TO_PAY))
    elif kind == "not-handled-notice":
        kw.update(outcome=facts.outcome, reasons=ev.reason or None)
    elif kind == "reply":
        d = propose.data if propose else {}
        kw.update(outcome=facts.outcome, reasons=(propose.reason if propose else None) or None,
                  withheld=d.get("withheld"), already_public_where=d.get("where"),
                  responsible_agency=d.get("responsible_agency"))
    elif kind == "service-receipt":
        reply = session.exec(select(Letter).where(Letter.case_id == case.id, Letter.kind.in_(["reply", "not-handled-notice"]))
                             .order_by(Letter.id.desc())).first()
        from ..letters.kinds import LetterKind as LK

        kw.update(served_title=LK(reply.kind).title if reply else None, served_number=reply.number if reply else None,
                  delivery_method=ev.data.get("method"), delivery_date=ev.effective_on,
                  delivery_recipient=ev.data.get("recipient") or ap.name, delivery_place=ap.address or None)
    return LetterContext(**kw)


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_orphaned_temporaries(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _remove_orphaned_temporaries(path: Path) -> None:
    """Temporary files of writers that were killed mid-write (never recorded) are removed."""
    for stale in path.parent.glob(f".{path.name}.tmp-*"):
        pid = stale.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            stale.unlink(missing_ok=True)
        except PermissionError:
            pass  # alive, another user's process


def _target(case_number: str, letter: Letter, version: int) -> Path:
    suffix = "" if version <= 1 else f"-v{version}"
    return letters_dir() / case_number / f"{letter.year}-{letter.family}-{letter.seq:04d}-{letter.kind}{suffix}.pdf"


def render_letter(letter_id: int, *, actor: str = "system") -> dict:
    """Render one letter; record it (or report it unchanged). Raises LetterError on failure."""
    from ..letters import render_pdf

    cfg = load_config()
    with read_session() as s:
        letter = s.get(Letter, letter_id)
        if letter is None:
            raise NotFound(f"没有编号为 {letter_id} 的文书")
        case = s.get(Case, letter.case_id)
        ctx = build_context(s, cfg, letter)
    pdf = render_pdf(ctx)
    sha = hashlib.sha256(pdf).hexdigest()
    if letter.sha256 == sha and letter.path and Path(letter.path).exists():
        return _row(letter, case, unchanged=True)
    version = letter.rendered_version + 1 if letter.sha256 and letter.sha256 != sha else max(letter.rendered_version, 1)
    path = _target(case.number, letter, version)
    try:
        _atomic_write(path, pdf)
    except OSError as exc:
        raise LetterError(f"无法写入文书文件 {path}：{exc.strerror}；请检查目录权限或磁盘空间") from None
    docx = _write_docx(cfg, ctx, path)
    with write_session() as s:
        row = s.exec(select(Letter).where(Letter.id == letter_id).with_for_update()).one()
        if row.sha256 == sha and row.path == str(path):
            return _row(row, case, unchanged=True)  # a concurrent renderer recorded it already
        row.status, row.path, row.sha256, row.rendered_version = "rendered", str(path), sha, version
        row.attempts += 1
        row.last_error = ""
        s.add(row)
        append_event(s, row.case_id, actor, "letter_rendered", row.issued_on, "",
                     {"letter_id": row.id, "kind": row.kind, "number": row.number, "sha256": sha,
                      "path": str(path), "version": version, "bytes": len(pdf), **docx})
        return _row(row, case)


def _write_docx(cfg: Config, ctx, pdf_path: Path) -> dict:
    """The Word working copy next to the PDF (`[letters] docx`, default true). The PDF stays the
    record; a DOCX that cannot be made is noted in the event, never fails the letter."""
    section = cfg.raw.get("letters", {})
    if isinstance(section, dict) and section.get("docx", True) is False:
        return {}
    try:
        from ..letters.docx import render_docx

        data = render_docx(ctx)
        _atomic_write(pdf_path.with_suffix(".docx"), data)
    except LetterError as exc:
        return {"docx_error": exc.message}
    except OSError as exc:
        return {"docx_error": f"无法写入 Word 文书 {pdf_path.with_suffix('.docx')}：{exc.strerror}"}
    return {"docx_sha256": hashlib.sha256(data).hexdigest()}


def _row(letter: Letter, case: Case, unchanged: bool = False) -> dict:
    return {"letter_id": letter.id, "case": case.number, "kind": letter.kind, "number": letter.number,
            "path": letter.path, "sha256": letter.sha256, "version": letter.rendered_version,
            "unchanged": unchanged}


def _mark_failed(letter_id: int, message: str) -> None:
    with write_session() as s:
        row = s.get(Letter, letter_id)
        row.status, row.last_error = "failed", message[:500]
        row.attempts += 1
        s.add(row)


def render_pending(case_id: int | None = None) -> list[dict]:
    """Render every letter not yet rendered (of one case, or all); failures are reported, not raised."""
    with read_session() as s:
        q = select(Letter.id, Letter.kind, Letter.number).where(Letter.status != "rendered")
        if case_id is not None:
            q = q.where(Letter.case_id == case_id)
        pending = s.exec(q.order_by(Letter.id)).all()
    out = []
    for letter_id, kind, number in pending:
        try:
            out.append(render_letter(letter_id))
        except LetterError as exc:
            _mark_failed(letter_id, exc.message)
            out.append({"letter_id": letter_id, "kind": kind, "number": number, "error": exc.message})
    return out


def verify_file(path: Path) -> dict:
    """Which case's history records this exact file (by SHA-256), if any."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NotFound(f"无法读取文件 {path}：{exc.strerror}") from None
    sha = hashlib.sha256(data).hexdigest()
    from .models import HistoryEvent

    with read_session() as s:
        for ev in s.exec(select(HistoryEvent).where(HistoryEvent.action == "letter_rendered")):
            d = json.loads(ev.data)
            if d.get("sha256") == sha:
                case = s.get(Case, ev.case_id)
                return {"ok": True, "sha256": sha, "case": case.number, "case_id": case.id, "number": d["number"],
                        "kind": d["kind"], "version": d.get("version", 1), "recorded_at": ev.recorded_at}
    return {"ok": False, "sha256": sha}
