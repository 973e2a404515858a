"""Audit for the legal office (法制机构): is the record intact? (What happened when, and the
case dossier for review or court: engine/legal/dossier.py.)

`verify` re-walks every case's hash chain and every recorded letter file and names the first
broken link of each case. What it catches:

- an edited, inserted, reordered or deleted history row: `history.verify_chain` (content hash,
  previous-event hash, gap-free sequence);
- a deleted last row: the case row, a projection of the history, no longer matches what the
  history replays to (state, outcome, closing and delivery dates);
- a letter file edited, replaced or removed: its bytes no longer hash to `letter.sha256`;
- a letter row edited to match a forged file: `letter.sha256` differs from the SHA-256 the
  case history recorded when the letter was rendered (`letter_rendered`);
- a deleted case or letter row: case numbers and 文号 are gap-free per year (engine/cases/numbering.py),
  so a missing number below the counter is a deleted row;
- a row the product reads edited to differ from what the (proven) history implies: the case
  row's cached columns, the applicant row, a letter row's path/version/status, the DOCX working
  copy, a counter below the highest number allocated (engine/ledger/derived.py, kind "derived").
"""
from __future__ import annotations

import re
from array import array
from itertools import groupby
from operator import attrgetter
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from ...states.machine import STATE_LABELS, CaseState
from ..cases import clocks as clk
from ..config import Config, load_config
from ..store.db import read_session
from ..store.files import sha256_file
from ..cases.history import rendered_letter, verify_chain
from ..identity import resolve_actor
from ..ledger import derived
from ..store.tables import Applicant, Case, Consultation, Counter, HistoryEvent, LedgerLeaf, Letter

CASE_NUMBER = re.compile(r"^(\d{4})-(\d+)$")


def _broken(kind: str, problem: str, case: Case | None = None, case_id: int | None = None, **extra) -> dict:
    return {"kind": kind, "case_id": case.id if case else case_id, "case": case.number if case else None,
            "seq": extra.get("seq"), "event_id": extra.get("event_id"), "letter_id": extra.get("letter_id"),
            "path": extra.get("path"), "problem": problem}


def _projection_problem(case: Case, events: list, cfg: Config, out: list | None = None) -> str | None:
    """out: given a list, the replayed facts and the events' (action, data) are appended to it
    (for the derived checks, without a second replay)."""
    from ..cases.history import EventView

    try:
        views = [EventView(e, strict=False) for e in events]
        facts = clk.replay(views, **clk.rule_options(cfg.rules))
    except Exception as exc:  # noqa: BLE001 - damaged history: say so
        return f"办理记录无法按流程重放（{type(exc).__name__}）：记录可能被删除或改动"
    if out is not None:
        out.extend((facts, [(v.action, v.data if isinstance(v.data, dict) else {}) for v in views]))
    diffs = []
    if facts.state.value != case.state:
        diffs.append(f"状态为“{STATE_LABELS.get(CaseState(case.state), case.state) if case.state in CaseState._value2member_map_ else case.state}”，"
                     f"办理记录重放为“{STATE_LABELS[facts.state]}”")
    if (facts.outcome or None) != (case.outcome or None):
        from ...states.outcomes import OUTCOMES

        def shown(key):
            return f"{OUTCOMES[key].label}（{key}）" if key in OUTCOMES else (key or "无")

        diffs.append(f"办理结果为“{shown(case.outcome)}”，办理记录重放为“{shown(facts.outcome)}”")
    if facts.closed_on != case.closed_on:
        diffs.append(f"办结日期为 {case.closed_on}，办理记录重放为 {facts.closed_on}")
    if facts.delivered_on != case.delivered_on:
        diffs.append(f"送达日期为 {case.delivered_on}，办理记录重放为 {facts.delivered_on}")
    if diffs:
        return "案件表与办理记录不符（" + "；".join(diffs) + "）：办理记录的末尾可能被删除，或案件表被改动"
    return None


def _by_case(rows):
    """(case_id, [rows]) from rows ordered by case_id."""
    for cid, group in groupby(rows, key=attrgetter("case_id")):
        yield cid, list(group)


def _zip_by_case(*streams):
    """Walk streams of (case_id, value), each ascending and unique in case_id, side by side:
    yields (case_id, [the value of each stream for that case, or None])."""
    streams = [iter(st) for st in streams]
    heads = [next(st, None) for st in streams]
    while True:
        live = [h[0] for h in heads if h is not None]
        if not live:
            return
        cid = min(live)
        values = []
        for i, h in enumerate(heads):
            if h is not None and h[0] == cid:
                values.append(h[1])
                heads[i] = next(streams[i], None)
            else:
                values.append(None)
        yield cid, values


def verify_session(s: Session, cfg: Config, progress=None, *, case_id: int | None = None) -> dict:
    """`progress(done, total)` is called as cases are walked (long work shows progress).
    case_id: check that case only (its chain, projection and letters; numbering gaps are
    agency-wide and left out): what a dossier needs, without walking the whole record."""
    # Cases, their history and their letters are streamed side by side in case order (plain
    # rows, read once, never changed): memory holds one case at a time, whatever the size of the
    # record (holding every case, event id and letter made memory grow with it: ~4 KB a case).
    c, h, lt = Case.__table__.c, HistoryEvent.__table__.c, Letter.__table__.c
    stream = {"execution_options": {"yield_per": 5000}}

    def scoped(q, col):
        return q if case_id is None else q.where(col == case_id)

    total = s.execute(scoped(select(func.count()).select_from(Case.__table__), c.id)).scalar_one()
    case_rows = s.execute(scoped(select(Case.__table__), c.id).order_by(c.id), **stream)
    event_rows = s.execute(scoped(select(HistoryEvent.__table__), h.case_id).order_by(h.case_id, h.seq), **stream)
    letter_rows = s.execute(scoped(select(Letter.__table__), lt.case_id).order_by(lt.case_id, lt.id), **stream)
    a = Applicant.__table__.c
    applicant_rows = s.execute(scoped(select(c.id.label("case_id"), Applicant.__table__).select_from(
        Case.__table__.outerjoin(Applicant.__table__, a.id == c.applicant_id)), c.id).order_by(c.id), **stream)
    k = Consultation.__table__.c
    consultation_rows = s.execute(scoped(select(Consultation.__table__), k.case_id).order_by(k.case_id, k.id), **stream)
    numbers = _Numbers()
    top_case: dict[int, int] = {}  # year -> highest case number seen
    top_letter: dict[tuple[str, int], int] = {}  # (family, year) -> highest 文号 seen
    cal = None  # the store's calendar (the log covers it), loaded at the first case that needs it
    contact = None  # the applicant digest key, read at the first case that needs it
    broken: list[dict] = []
    n_cases = n_events = n_letters = n_files = 0
    for cid, (case, evs, letters, appl, consulted) in _zip_by_case(
            ((r.id, r) for r in case_rows), _by_case(event_rows), _by_case(letter_rows),
            ((r.case_id, r) for r in applicant_rows), _by_case(consultation_rows)):
        evs = evs or []
        n_events += len(evs)
        chained = False  # the case's history is intact: its events may be compared with the rows
        if case is not None:
            n_cases += 1
            numbers.add_case(case.number)
            m = CASE_NUMBER.match(case.number)
            if m:
                top_case[int(m.group(1))] = max(top_case.get(int(m.group(1)), 0), int(m.group(2)))
            if progress is not None and (n_cases % 200 == 0 or n_cases == total):
                progress(n_cases, total)
            if not evs:
                broken.append(_broken("history", "案件没有任何办理记录（记录被删除）", case, seq=1))
            else:
                link = verify_chain(evs)
                if link is not None:
                    broken.append(_broken("history", link.problem, case, seq=link.seq, event_id=link.event_id))
                else:
                    chained = True
                    replayed: list = []
                    problem = _projection_problem(case, evs, cfg, replayed)
                    if problem:
                        broken.append(_broken("projection", problem, case, seq=evs[-1].seq + 1))
                    else:
                        if cal is None:
                            from ..store.calendar_store import calendar_of_db
                            from ..store.rows import of_session

                            cal = calendar_of_db(of_session(s))
                        if contact is None:
                            contact = _ContactCheck()
                        broken.extend(_broken("derived", p, case)
                                      for p in _derived_problems(case, appl, *replayed, cal, contact))
                        broken.extend(_broken("derived", p, case)
                                      for p in derived.consultation_findings(consulted or [], *replayed))
        rendered: dict[int, dict] = {}  # letter id -> what its latest letter_rendered event recorded
        for ev in evs:
            d = rendered_letter(ev)
            if d is not None and d.get("letter_id") is not None:
                rendered[d["letter_id"]] = d
        if rendered and chained:
            ids = {l.id for l in letters or ()}
            broken.extend(_broken("derived", p, case) for p in derived.missing_letter_findings(rendered, ids))
        if letters:
            event_dates = {ev.id: ev.effective_on if chained else None for ev in evs}
            for l in letters:
                n_letters += 1
                n_files += bool(l.sha256)
                numbers.add_letter(l.family, l.year, l.seq)
                top_letter[(l.family, l.year)] = max(top_letter.get((l.family, l.year), 0), l.seq)
                problem = _letter_problem(l, event_dates, rendered)
                if problem:
                    broken.append(_broken("letter", problem, case, l.case_id, letter_id=l.id, path=l.path or None))
    if contact is not None and contact.unchecked:
        broken.append(_broken("derived", contact.finding()))
    if case_id is None:
        counters = {(r.scope, r.year): r.value for r in s.execute(select(Counter.__table__))}
        broken.extend(numbers.gaps(counters))
        from sqlalchemy import inspect

        # A database from before the log (a backup being verified before its migration): no leaves to count.
        leaves = (s.execute(select(func.count()).select_from(LedgerLeaf.__table__)).scalar_one()
                  if inspect(s.connection()).has_table(LedgerLeaf.__tablename__) else None)
        broken.extend(_broken("derived", p) for p in derived.counter_findings(counters, top_case, top_letter, leaves))
    broken.sort(key=lambda b: (b["case_id"] or 0, _ORDER[b["kind"]]))
    return {"ok": not broken, "cases": n_cases, "events": n_events, "letters": n_letters,
            "letter_files": n_files, "broken": broken}


class _ContactCheck:
    """The applicant digest key (None: missing or unreadable) and the cases it could not check."""

    def __init__(self):
        from ...errors import InputError
        from ..ledger.store import digest_key, digest_key_path

        self.path = digest_key_path()
        try:
            self.key = digest_key(create=False)
        except InputError:
            self.key = None
        self.unchecked = 0

    def findings(self, applicant, register: dict, steps: list) -> list[str]:
        lines = derived.contact_findings(applicant, register, steps, self.key)
        if lines is None:
            self.unchecked += 1
            return []
        return lines

    def finding(self) -> str:
        return derived.digest_key_finding(self.unchecked, self.key, self.path)


def _derived_problems(case, appl, facts, steps: list, cal, contact: _ContactCheck) -> list[str]:
    """The case row's cached columns and its applicant row against what the history implies."""
    from ..store.rows import CaseRow

    register = steps[0][1] if steps and steps[0][0] == "register" else {}
    row = CaseRow(**{f: getattr(case, f) for f in CaseRow.__dataclass_fields__})
    applicant = appl if appl is not None and appl.id is not None else None
    out = derived.case_findings(row, register, facts, clk.compute_clocks(facts, cal))
    out += derived.applicant_findings(applicant, register, steps)
    out += contact.findings(applicant, register, steps)
    return out


def _letter_problem(l, event_dates: dict, rendered: dict[int, dict]) -> str | None:
    """What is wrong with one letter row, given its case's events (id -> effective date) and
    recorded renderings."""
    if l.event_id not in event_dates:
        return f"文书 {l.number} 所依据的办理记录（#{l.event_id}）不存在"
    numbering = derived.letter_number_findings(l, event_dates[l.event_id])
    if numbering:
        return numbering[0]
    if not l.sha256:
        if l.id in rendered:
            return f"文书 {l.number} 已生成并记录哈希，但文书表中的哈希被清空"
        return next(iter(derived.letter_findings(l, None)), None)  # not rendered yet: its status only
    recorded = rendered.get(l.id)
    if recorded is None:
        return f"办理记录中没有文书 {l.number} 的生成记录（哈希无从核对）"
    if recorded.get("sha256", "") != l.sha256:
        return f"文书 {l.number} 登记的哈希与办理记录中的不符（文书表被改动）"
    path = Path(l.path) if l.path else None
    if path is None or not path.is_file():
        return f"文书 {l.number} 的文件 {l.path or '（无路径）'} 不存在（被删除或移动）"
    try:
        actual = sha256_file(path)
    except OSError as exc:
        from ...errors import os_reason

        return f"文书 {l.number} 的文件无法读取：{os_reason(exc)}"
    if actual != l.sha256:
        return f"文书 {l.number} 的文件内容与记录的 SHA-256 不符（文件被修改或替换）"
    # The rest of the row (path, version, status, 类别, 文号) and the DOCX working copy.
    return next(iter(derived.letter_findings(l, recorded)), None) or derived.docx_finding(l, recorded, sha256_file)


class _Numbers:
    """The case numbers and 文号 seen, compactly (8 bytes each), for the gap check."""

    def __init__(self):
        self.cases: dict[int, array] = {}
        self.letters: dict[tuple[str, int], array] = {}

    def add_case(self, number: str) -> None:
        m = CASE_NUMBER.match(number)
        if m:
            year = int(m.group(1))
            (self.cases.get(year) or self.cases.setdefault(year, array("q"))).append(int(m.group(2)))

    def add_letter(self, family: str, year: int, seq: int) -> None:
        (self.letters.get((family, year)) or self.letters.setdefault((family, year), array("q"))).append(seq)

    def gaps(self, counters: dict[tuple[str, int], int]) -> list[dict]:
        out = []
        for (scope, year), value in sorted(counters.items()):
            if scope != "case":
                continue
            for n in _missing(self.cases.get(year), value):
                out.append(_broken("numbering", f"案件编号 {year}-{n:04d} 缺失：编号连续分配，缺号说明案件被删除", None, None))
        for (scope, year), value in sorted(counters.items()):
            if not scope.startswith("letter:"):
                continue
            family = scope.split(":", 1)[1]
            for n in _missing(self.letters.get((family, year)), value):
                out.append(_broken("numbering", f"“{family}”类文书 {year} 年第 {n} 号缺失：文号连续分配，缺号说明文书记录被删除",
                                   None, None))
        return out


def _missing(seen: array | None, value: int, limit: int = 20) -> list[int]:
    """The first `limit` numbers of 1..value that are not in `seen` (in no order, repeats allowed)."""
    out: list[int] = []
    expect = 1
    for n in sorted(seen or ()):
        if n > value or len(out) >= limit:
            break
        if n < expect:
            continue
        while expect < n and len(out) < limit:
            out.append(expect)
            expect += 1
        expect = n + 1
    while expect <= value and len(out) < limit:
        out.append(expect)
        expect += 1
    return out


def snapshot(s: Session) -> None:
    """Read everything from one snapshot: on PostgreSQL READ COMMITTED would let a step that
    commits between two queries look like a mismatch. (SQLite in WAL reads one snapshot per
    transaction anyway.)"""
    if s.get_bind().dialect.name == "postgresql":
        s.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def verify(login: str | None, progress=None, checkpoint: str | None = None, key: str | None = None) -> dict:
    """The record (verify_session) and the agency's log (engine/ledger/store.py): every history
    row equals its leaf and every event leaf has its row; given a checkpoint file the legal office
    kept, its signature (by `key`, else the instance's own key) and that the log's first `size`
    leaves still have the checkpoint's root (nothing removed or rewritten since)."""
    from ...errors import InputError
    from ..ledger.store import read_checkpoint, verify_ledger

    cfg = load_config()
    resolve_actor(cfg, login)
    cp = used = source = None
    if checkpoint is not None:
        cp, used, source = read_checkpoint(checkpoint, key)
    elif key is not None:
        raise InputError("--key 只在核验检查点时使用：请同时用 --checkpoint 指定检查点文件")
    with read_session() as s:
        snapshot(s)
        r = verify_session(s, cfg, progress)
        ledger = verify_ledger(s, cp)
    # One finding per case, as for the chain: the log adds what the chain cannot see (a chain
    # recomputed after an edit, a deleted case, an inserted event), not a second line.
    named = {b["case_id"] for b in r["broken"] if b["case_id"] is not None and b["kind"] == "history"}
    extra = [f for f in ledger["findings"] if f["case_id"] is None or f["case_id"] not in named]
    seen: set = set()
    for f in extra:
        key_ = (f["case_id"], f["problem"]) if f["case_id"] is None else f["case_id"]
        if key_ not in seen:
            seen.add(key_)
            r["broken"].append(f)
    r["broken"].sort(key=lambda b: (b["case_id"] or 0, _ORDER[b["kind"]]))
    r["ok"] = not r["broken"]
    r["ledger"] = {"leaves": ledger["leaves"], "root": ledger["root"], "checkpoint": None}
    if cp is not None:
        r["ledger"]["checkpoint"] = {"origin": cp.origin, "size": cp.size, "root": cp.root.hex(),
                                     "time": cp.time.isoformat() if cp.time else None,
                                     "key": used, "key_source": source}
    return r


_ORDER = {"ledger": 0, "history": 1, "projection": 2, "derived": 3, "letter": 4, "numbering": 5}
