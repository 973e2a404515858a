"""Rendering letters after the step's commit (DESIGN.md): the step allocated the 文号 and a
`letter` row in its transaction; here each pending letter is built from the case history up to
that step (so a re-render is byte-identical), written atomically (temporary name, fsync,
rename) and its SHA-256 recorded in the case history. A failure leaves the step committed and
the letter pending/failed for a retry; a changed rendering becomes a new recorded version,
never a silent overwrite. Many letters at once (`ogi letter render --pending/--all`) are rendered
by worker processes, one per core (render_letters); this process still records each letter in a
transaction of its own."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import NamedTuple

from sqlmodel import select

from ...states.info_items import items_of
from ...states.machine import Trigger
from ...states.outcomes import cited_article
from . import clocks as clk, fees
from ..store.calendar_store import load_calendar
from ...states.vocabulary import APPLICANT_KINDS
from ...letters.kinds import short_label
from .steps import append_event, events_of
from ..config import Config, home_dir, load_config
from ..store.db import read_session, write_session
from ...errors import InputError, LetterError, NotFound, os_reason
from .history import EventView
from ..masking import mask_id_number
from ..store.tables import Applicant, Case, Letter

FEE_HOW_TO_PAY = "请持本通知书到本机关政府信息公开工作机构缴纳，或通过本机关公布的非税收入缴款渠道缴纳。"


def letters_dir() -> Path:
    return Path(os.environ.get("OGI_LETTERS_DIR") or home_dir() / "letters")


def build_context(session, cfg: Config, letter: Letter):
    """The letter's content from the case history up to the step that made it due."""
    from ...letters import Agency, Applicant as LApplicant, LetterContext
    from ...letters.kinds import LetterKind

    case = session.get(Case, letter.case_id)
    ap = session.get(Applicant, case.applicant_id)
    rows = [EventView(e) for e in events_of(session, case.id)]
    upto = [e for e in rows if e.seq <= next(r.seq for r in rows if r.id == letter.event_id)]
    contact = contact_as_of(rows, upto[-1].seq, {"address": ap.address, "email": ap.email})
    facts = clk.replay(upto, **clk.rule_options(cfg.rules))
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
                             address=contact["address"] or None, phone=None, email=contact["email"] or None,
                             id_number=mask_id_number(ap.id_number) or None),
        request_description=case.description, requested_form=case.requested_form or None,
        answer_due=answer.due if answer else None,
        provisional=any(c.provisional for c in clocks.values() if c.running),
        clerk_name=clerk.name if clerk else case.clerk,
    )
    kw.update(_fields_of_kind(session, cfg, cal, case, ap, letter.kind, upto, facts, clocks, contact))
    return LetterContext(**kw)


def contact_as_of(events: list, seq: int, current: dict[str, str]) -> dict[str, str]:
    """The applicant's contact details (条例第二十九条) as they stood at event `seq`, from the
    case's 更正联系方式 events: the last correction of a field up to `seq`; else what the first
    later correction recorded as its previous value; else `current` (the applicant row, which
    no correction of that field has touched: the registration's value). A letter issued before a
    correction re-renders as it was issued; one issued after it goes to the corrected address."""
    out = {}
    for key, now in current.items():
        corrections = [e for e in events if e.action == Trigger.CORRECT_CONTACT.value and e.data.get(key)]
        before = [e for e in corrections if e.seq <= seq]
        after = [e for e in corrections if e.seq > seq]
        if before:
            out[key] = before[-1].data[key]
        elif after:
            out[key] = (after[0].data.get("previous") or {}).get(key, now)
        else:
            out[key] = now
    return out


def _answer_due_before(cfg: Config, cal, upto: list):
    """The answer period's last day just before the letter's step (`upto[-1]`): what an
    extension or a delay (条例第三十三条第二款、第三十五条) moves on."""
    before = clk.replay(upto[:-1], **clk.rule_options(cfg.rules))
    answer = next((c for c in clk.compute_clocks(before, cal) if c.key == "answer"), None)
    return answer.due if answer else None


def _fields_of_kind(session, cfg: Config, cal, case: Case, ap: Applicant, kind: str, upto: list, facts,
                    clocks: dict, contact: dict) -> dict:
    """What a letter of this kind says beyond the common fields, from the step that made it due
    (`upto[-1]`) and the facts and clocks of the history up to that step."""
    ev, answer = upto[-1], clocks.get("answer")
    kw: dict = {}
    propose = next((e for e in reversed(upto) if e.action == Trigger.PROPOSE.value), None)
    if kind == "correction-notice":
        items = [s.strip() for s in ev.data.get("items", "").replace("；", "\n").replace(";", "\n").splitlines() if s.strip()]
        kw.update(correction_items=tuple(items), correction_workdays=facts.correction_period,
                  correction_due=clocks["correction"].due if "correction" in clocks else None)
    elif kind == "extension-notice":
        kw.update(extension_workdays=int(ev.data["workdays"]), new_due=answer.due if answer else None,
                  previous_due=_answer_due_before(cfg, cal, upto), reasons=ev.reason or None)
    elif kind == "delay-notice":
        kw.update(delay_until=facts.delay_until, previous_due=_answer_due_before(cfg, cal, upto),
                  reasons=ev.reason or None)
    elif kind in ("third-party-consultation", "agency-consultation"):
        cid = ev.data["consultation_id"]
        kw.update(consult_party=ev.data["party"], consult_information=ev.data.get("information") or case.description,
                  consult_due=clocks[f"consultation:{cid}"].due)
    elif kind == "third-party-notice":
        # 条例第三十二条: what is disclosed and why, as the clerk recorded them for the third party
        # (propose --disclose-to-third-party / --public-interest); never the application's words or
        # the reply's reasons (those are written to the applicant).
        objector = next(iter(facts.third_party_objectors), None)
        d = propose.data if propose else {}
        kw.update(consult_party=objector.party if objector else None,
                  consult_information=d.get("third_party_content") or None,
                  reasons=d.get("public_interest") or None, outcome=facts.outcome)
    elif kind == "fee-notice":
        # the amount is the one the step recorded; the standard and the computation come from the
        # same bands (fees.py), for the basis and quantity the step recorded
        basis, quantity = ev.data["basis"], ev.data["quantity"]
        kw.update(fee_basis=basis, fee_standard=fees.standard_text(basis), fee_quantity=quantity,
                  fee_amount=ev.data["amount"], fee_breakdown=fees.breakdown(basis, quantity),
                  fee_pauses_answer=facts.fee_pauses,
                  fee_due=clocks["payment"].due if "payment" in clocks else None,
                  fee_how_to_pay=cfg.raw.get("agency", {}).get("fee_how_to_pay", FEE_HOW_TO_PAY))
    elif kind == "not-handled-notice":
        # 条例第三十九条: approved like a reply, the notice states the proposal's reasons (a closing
        # of the retired path, NOT_HANDLE, recorded its own).
        why = propose.reason if propose and ev.action == Trigger.APPROVE.value else ev.reason
        kw.update(outcome=facts.outcome, reasons=why or None)
    elif kind == "reply":
        kw.update(outcome=facts.outcome, correction_items=_correction_items(upto))
        if ev.action in (Trigger.CORRECTION_LAPSE.value, Trigger.FEE_LAPSE.value):
            # 视为放弃申请 (条例第三十条; 国办函〔2020〕109号): no proposal stands behind it (an earlier
            # one may have been sent back); the letter says what was asked and until when.
            fee = next((e for e in reversed(upto) if e.action == Trigger.FEE_NOTICE.value), None)
            lapsed_correction = ev.action == Trigger.CORRECTION_LAPSE.value
            kw.update(reasons=ev.reason or None,
                      correction_due=clocks["correction"].due if lapsed_correction and "correction" in clocks else None,
                      fee_amount=fee.data.get("amount") if fee and not lapsed_correction else None,
                      fee_due=clocks["payment"].due if not lapsed_correction and "payment" in clocks else None)
        else:
            d = propose.data if propose else {}
            kw.update(reasons=(propose.reason if propose else None) or None,
                      withheld=d.get("withheld"), already_public_where=d.get("where"),
                      responsible_agency=d.get("responsible_agency"), query_channel=d.get("query_channel"),
                      legal_basis=cited_article(d["article"]) if d.get("article") else None,
                      info_items=items_of(d))
    elif kind == "service-receipt":
        reply = session.exec(select(Letter).where(Letter.case_id == case.id, Letter.kind.in_(["reply", "not-handled-notice"]))
                             .order_by(Letter.id.desc())).first()
        from ...letters.kinds import LetterKind as LK

        # the applicant is the 受送达人; whoever else signed (委托送达: the --recipient) is the 代收人
        signer = (ev.data.get("recipient") or "").strip()
        kw.update(served_title=LK(reply.kind).title if reply else None, served_number=reply.number if reply else None,
                  delivery_method=ev.data.get("method"), delivery_date=ev.effective_on,
                  delivery_recipient=ap.name, delivery_agent=signer if signer and signer != ap.name else None,
                  delivery_place=contact["address"] or None)
    return kw


def _correction_items(upto: list) -> tuple[str, ...]:
    """The items the applicant was asked to correct (条例第三十条), as the correction notice lists them."""
    ev = next((e for e in upto if e.action == Trigger.REQUEST_CORRECTION.value), None)
    text = (ev.data.get("items") or "") if ev else ""
    return tuple(s.strip() for s in text.replace("；", "\n").replace(";", "\n").splitlines() if s.strip())


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


class _Prepared(NamedTuple):
    letter: Letter  # as read before rendering (detached)
    case: Case
    job: "Job"  # noqa: F821 - letters.batch.Job, imported lazily


def _docx_wanted(cfg: Config) -> bool:
    """`[letters] docx` (default true): the Word working copy next to the PDF."""
    section = cfg.raw.get("letters", {})
    return not (isinstance(section, dict) and section.get("docx", True) is False)


def _prepare(letter_id: int, cfg: Config) -> _Prepared:
    """What a renderer needs, read in one read transaction: the letter, its case, its context."""
    from ...letters.batch import Job

    with read_session() as s:
        letter = s.get(Letter, letter_id)
        if letter is None:
            raise NotFound(f"没有编号为 {letter_id} 的文书")
        case = s.get(Case, letter.case_id)
        ctx = build_context(s, cfg, letter)
    known = letter.sha256 if letter.sha256 and letter.path and Path(letter.path).exists() else None
    return _Prepared(letter, case, Job(ctx, docx=_docx_wanted(cfg), known_sha256=known))


def _record(prep: _Prepared, out, actor: str) -> dict:
    """Write the rendered files atomically and record them in one write transaction (or report
    the letter unchanged). Raises LetterError if the letter could not be rendered or written."""
    if out.error is not None:
        raise LetterError(out.error, details=out.error_details)
    letter, case = prep.letter, prep.case
    if out.unchanged:
        return _row(letter, case, unchanged=True)
    sha = out.sha256
    version = letter.rendered_version + 1 if letter.sha256 and letter.sha256 != sha else max(letter.rendered_version, 1)
    path = _target(case.number, letter, version)
    try:
        _atomic_write(path, out.pdf)
    except OSError as exc:
        raise LetterError(f"无法写入文书文件 {path}：{os_reason(exc)}；请检查目录权限或磁盘空间") from None
    docx = _write_docx(out, path)
    with write_session() as s:
        row = s.exec(select(Letter).where(Letter.id == letter.id).with_for_update()).one()
        if row.sha256 == sha and row.path == str(path):
            return _row(row, case, unchanged=True)  # a concurrent renderer recorded it already
        row.status, row.path, row.sha256, row.rendered_version = "rendered", str(path), sha, version
        row.attempts += 1
        row.last_error = ""
        s.add(row)
        append_event(s, row.case_id, actor, "letter_rendered", row.issued_on, "",
                     {"letter_id": row.id, "kind": row.kind, "number": row.number, "sha256": sha,
                      "path": str(path), "version": version, "bytes": len(out.pdf), **docx})
        return _row(row, case)


def render_letter(letter_id: int, *, actor: str = "system") -> dict:
    """Render one letter in this process; record it (or report it unchanged). Raises LetterError
    on failure."""
    from ...letters.batch import produce

    prep = _prepare(letter_id, load_config())
    return _record(prep, produce(prep.job), actor)


def _write_docx(out, pdf_path: Path) -> dict:
    """The Word working copy next to the PDF (`[letters] docx`, default true). The PDF stays the
    record; a DOCX that cannot be made is noted in the event, never fails the letter."""
    if out.docx_error is not None:
        return {"docx_error": out.docx_error}
    if out.docx is None:  # turned off
        return {}
    try:
        _atomic_write(pdf_path.with_suffix(".docx"), out.docx)
    except OSError as exc:
        return {"docx_error": f"无法写入 Word 文书 {pdf_path.with_suffix('.docx')}：{os_reason(exc)}"}
    return {"docx_sha256": hashlib.sha256(out.docx).hexdigest()}


def _row(letter: Letter, case: Case, unchanged: bool = False) -> dict:
    return {"letter_id": letter.id, "case": case.number, "kind": letter.kind, "kind_label": short_label(letter.kind),
            "number": letter.number,
            "path": letter.path, "sha256": letter.sha256, "version": letter.rendered_version,
            "unchanged": unchanged}


def mark_failed(letter_id: int, message: str) -> dict:
    """Record the failure on the letter (it stays due for a retry); its row for the report."""
    with write_session() as s:
        row = s.get(Letter, letter_id)
        row.status, row.last_error = "failed", message[:500]
        row.attempts += 1
        s.add(row)
        return {"letter_id": letter_id, "kind": row.kind, "kind_label": short_label(row.kind), "number": row.number,
                "error": message}


def letter_ids(case_id: int | None = None, *, pending: bool = True) -> list[int]:
    """The letters to render, in id order: those not yet rendered (or all), of one case or all."""
    with read_session() as s:
        q = select(Letter.id)
        if pending:
            q = q.where(Letter.status != "rendered")
        if case_id is not None:
            q = q.where(Letter.case_id == case_id)
        return list(s.exec(q.order_by(Letter.id)).all())


def planned_letters(case_id: int) -> list[dict]:
    """The rows render_pending(case_id) will report for the letters not yet rendered, with the
    path each will have: what a step prints when its letters are rendered after the answer
    (the service, service.py)."""
    with read_session() as s:
        case = s.get(Case, case_id)
        pending = s.exec(select(Letter).where(Letter.case_id == case_id, Letter.status != "rendered")
                         .order_by(Letter.id)).all()
        return [{**_row(letter, case), "path": str(_target(case.number, letter, 1)), "version": 1}
                for letter in pending if not letter.sha256]


def render_letters(ids: list[int], *, workers: int | None = 1, progress=None, actor: str = "system") -> list[dict]:
    """Render and record the letters `ids`; failures are recorded on the letter and reported in
    its row, not raised. workers: None = one worker process per core when the batch is worth it
    (letters.batch.worker_count), 1 = this process. Workers only render (letters.batch.produce);
    this process reads each letter's context before handing it out, then writes the files and
    records each letter in a transaction of its own, in the order of `ids` (so a case's history
    gets its letter_rendered events in the same order as one by one). `progress(done, total)`."""
    from ...letters.batch import produce, worker_count

    cfg = load_config()
    ids = list(ids)
    out: list[dict] = []

    def prepared(letter_id: int):
        try:
            return _prepare(letter_id, cfg)
        except LetterError as exc:
            return exc

    def finish(letter_id: int, prep, result) -> None:
        try:
            if isinstance(prep, LetterError):
                raise prep
            out.append(_record(prep, result, actor))
        except LetterError as exc:
            out.append(mark_failed(letter_id, exc.message))
        if progress is not None:
            progress(len(out), len(ids))

    n = worker_count(len(ids), workers)
    if n == 0:
        for letter_id in ids:
            prep = prepared(letter_id)
            finish(letter_id, prep, None if isinstance(prep, LetterError) else produce(prep.job))
        return out
    _render_in_pool(ids, n, prepared, finish)
    return out


def _render_in_pool(ids: list[int], workers: int, prepared, finish) -> None:
    """Keep `workers` processes busy (up to two letters queued each) while this process prepares
    the next letters and records the finished ones in order."""
    from collections import deque
    from concurrent.futures.process import BrokenProcessPool

    from ...letters.batch import pool, produce

    window: deque = deque()  # (letter_id, prepared, future or None), in the order of ids

    def finish_head() -> None:
        letter_id, prep, future = window.popleft()
        finish(letter_id, prep, None if future is None else future.result())

    executor = pool(workers)
    try:
        for letter_id in ids:
            prep = prepared(letter_id)
            future = None if isinstance(prep, LetterError) else executor.submit(produce, prep.job)
            window.append((letter_id, prep, future))
            while window and (len(window) > 2 * workers or window[0][2] is None or window[0][2].done()):
                finish_head()
        while window:
            finish_head()
    except BrokenProcessPool:
        executor.shutdown(wait=True, cancel_futures=True)
        raise LetterError("生成文书的子进程意外退出（可能是内存不足）。已生成的文书均已登记，其余仍待生成："
                          "请稍后运行“ogi letter render --pending”继续。") from None
    except BaseException:
        executor.shutdown(wait=True, cancel_futures=True)
        raise
    executor.shutdown(wait=True)


def render_pending(case_id: int | None = None, *, workers: int | None = 1, progress=None) -> list[dict]:
    """Render every letter not yet rendered (of one case, or all); failures are reported, not raised."""
    return render_letters(letter_ids(case_id), workers=workers, progress=progress)


# `ogi letter verify`: a letter is a few hundred kilobytes; anything this large is not one of ours
# and is refused before a byte of it is read.
MAX_VERIFY_BYTES = 50 * 1024 * 1024


def _not_a_file(mode: int) -> str | None:
    """What a file that is not a regular file is, in words (None for a regular file)."""
    import stat

    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "这是一个目录，不是文件"
    if stat.S_ISFIFO(mode):
        return "这是一个管道（FIFO），不是文件"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "这是一个设备，不是文件"
    if stat.S_ISSOCK(mode):
        return "这是一个套接字，不是文件"
    return "这不是普通文件"


def _file_sha256(path: Path) -> str:
    """The SHA-256 of a regular file of at most MAX_VERIFY_BYTES; InputError for anything else,
    said before reading it: stat first, then open without blocking (a FIFO swapped in between
    cannot hang us) and check again what was opened."""
    limit = f"超过 {MAX_VERIFY_BYTES // (1024 * 1024)} MB 的上限，不是本系统生成的文书"

    def check(st: os.stat_result) -> None:
        what = _not_a_file(st.st_mode)
        if what is None and st.st_size > MAX_VERIFY_BYTES:
            what = f"文件有 {st.st_size:,} 字节，{limit}"
        if what is not None:
            raise InputError(f"不能核验 {path}：{what}；请指定要核验的 PDF 文书文件")

    try:
        check(os.stat(path))
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise NotFound(f"无法读取文件 {path}：{os_reason(exc)}") from None
    h, read = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "rb") as fh:
            check(os.fstat(fh.fileno()))  # what was opened, not what was looked at
            for block in iter(lambda: fh.read(1 << 20), b""):
                read += len(block)
                if read > MAX_VERIFY_BYTES:  # it grew while we read it
                    raise InputError(f"不能核验 {path}：文件{limit}；请指定要核验的 PDF 文书文件")
                h.update(block)
    except OSError as exc:
        raise NotFound(f"无法读取文件 {path}：{os_reason(exc)}") from None
    return h.hexdigest()


def verify_file(path: Path) -> dict:
    """Which case's history records this exact file (by SHA-256), if any. Only a regular file
    of at most MAX_VERIFY_BYTES is read (devices, FIFOs and directories are refused unread)."""
    sha = _file_sha256(Path(path))
    from ..store.tables import HistoryEvent

    with read_session() as s:
        for ev in s.exec(select(HistoryEvent).where(HistoryEvent.action == "letter_rendered")):
            d = json.loads(ev.data)
            if d.get("sha256") == sha:
                case = s.get(Case, ev.case_id)
                return {"ok": True, "sha256": sha, "case": case.number, "case_id": case.id, "number": d["number"],
                        "kind": d["kind"], "kind_label": short_label(d["kind"]), "version": d.get("version", 1),
                        "recorded_at": ev.recorded_at}
    return {"ok": False, "sha256": sha}
