"""Audit for the legal office (法制机构): is the record intact, what happened when, and the
case dossier for review or court.

`verify` re-walks every case's hash chain and every recorded letter file and names the first
broken link of each case. What it catches:

- an edited, inserted, reordered or deleted history row: `history.verify_chain` (content hash,
  previous-event hash, gap-free sequence);
- a deleted last row: the case row, a projection of the history, no longer matches what the
  history replays to (state, outcome, closing and delivery dates);
- a letter file edited, replaced or removed: its bytes no longer hash to `letter.sha256`;
- a letter row edited to match a forged file: `letter.sha256` differs from the SHA-256 the
  case history recorded when the letter was rendered (`letter_rendered`);
- a deleted case or letter row: case numbers and 文号 are gap-free per year (engine/numbering),
  so a missing number below the counter is a deleted row.
"""
from __future__ import annotations

import csv
import hashlib
import io
import re
from array import array
from itertools import groupby
from operator import attrgetter
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, select

from ...letters.kinds import short_label
from ...states.machine import STATE_LABELS, CaseState
from ...states.outcomes import OUTCOMES
from ..store.calendar_store import load_calendar
from ...states.vocabulary import APPLICANT_KINDS, CHANNELS, clock_label
from ..cases import clocks as clk
from ..cases.steps import load_case
from ..config import Config, load_config
from ..store.db import read_session
from ...errors import InputError
from ..cases.history import now_shanghai, rendered_letter, verify_chain
from ..identity import resolve_actor, today
from ..masking import mask_id_number, mask_phone
from ..store.tables import Applicant, Case, Consultation, Counter, HistoryEvent, Letter
from ..cases.timeline import build

CASE_NUMBER = re.compile(r"^(\d{4})-(\d+)$")


def _broken(kind: str, problem: str, case: Case | None = None, case_id: int | None = None, **extra) -> dict:
    return {"kind": kind, "case_id": case.id if case else case_id, "case": case.number if case else None,
            "seq": extra.get("seq"), "event_id": extra.get("event_id"), "letter_id": extra.get("letter_id"),
            "path": extra.get("path"), "problem": problem}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _projection_problem(case: Case, events: list, cfg: Config) -> str | None:
    from ..cases.history import EventView

    try:
        facts = clk.replay([EventView(e, strict=False) for e in events], **clk.rule_options(cfg.rules))
    except Exception as exc:  # noqa: BLE001 - damaged history: say so
        return f"办理记录无法按流程重放（{type(exc).__name__}）：记录可能被删除或改动"
    diffs = []
    if facts.state.value != case.state:
        diffs.append(f"状态为“{STATE_LABELS.get(CaseState(case.state), case.state) if case.state in CaseState._value2member_map_ else case.state}”，"
                     f"办理记录重放为“{STATE_LABELS[facts.state]}”")
    if (facts.outcome or None) != (case.outcome or None):
        diffs.append(f"办理结果为“{case.outcome}”，办理记录重放为“{facts.outcome}”")
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
    numbers = _Numbers()
    broken: list[dict] = []
    n_cases = n_events = n_letters = n_files = 0
    for cid, (case, evs, letters) in _zip_by_case(((r.id, r) for r in case_rows), _by_case(event_rows),
                                                   _by_case(letter_rows)):
        evs = evs or []
        n_events += len(evs)
        if case is not None:
            n_cases += 1
            numbers.add_case(case.number)
            if progress is not None and (n_cases % 200 == 0 or n_cases == total):
                progress(n_cases, total)
            if not evs:
                broken.append(_broken("history", "案件没有任何办理记录（记录被删除）", case, seq=1))
            else:
                link = verify_chain(evs)
                if link is not None:
                    broken.append(_broken("history", link.problem, case, seq=link.seq, event_id=link.event_id))
                else:
                    problem = _projection_problem(case, evs, cfg)
                    if problem:
                        broken.append(_broken("projection", problem, case, seq=evs[-1].seq + 1))
        if letters:
            event_ids = {ev.id for ev in evs}
            rendered: dict[int, str] = {}  # letter id -> SHA-256 its letter_rendered event recorded
            for ev in evs:
                d = rendered_letter(ev)
                if d is not None:
                    rendered[d["letter_id"]] = d.get("sha256", "")
            for l in letters:
                n_letters += 1
                n_files += bool(l.sha256)
                numbers.add_letter(l.family, l.year, l.seq)
                problem = _letter_problem(l, event_ids, rendered)
                if problem:
                    broken.append(_broken("letter", problem, case, l.case_id, letter_id=l.id, path=l.path or None))
    if case_id is None:
        counters = {(r.scope, r.year): r.value for r in s.execute(select(Counter.__table__))}
        broken.extend(numbers.gaps(counters))
    broken.sort(key=lambda b: (b["case_id"] or 0, {"history": 0, "projection": 1, "letter": 2, "numbering": 3}[b["kind"]]))
    return {"ok": not broken, "cases": n_cases, "events": n_events, "letters": n_letters,
            "letter_files": n_files, "broken": broken}


def _letter_problem(l, event_ids: set[int], rendered: dict[int, str]) -> str | None:
    """What is wrong with one letter row, given its case's event ids and recorded renderings."""
    if l.event_id not in event_ids:
        return f"文书 {l.number} 所依据的办理记录（#{l.event_id}）不存在"
    if not l.sha256:
        if l.id in rendered:
            return f"文书 {l.number} 已生成并记录哈希，但文书表中的哈希被清空"
        return None  # not rendered yet: nothing to check
    recorded = rendered.get(l.id)
    if recorded is None:
        return f"办理记录中没有文书 {l.number} 的生成记录（哈希无从核对）"
    if recorded != l.sha256:
        return f"文书 {l.number} 登记的哈希与办理记录中的不符（文书表被改动）"
    path = Path(l.path) if l.path else None
    if path is None or not path.is_file():
        return f"文书 {l.number} 的文件 {l.path or '（无路径）'} 不存在（被删除或移动）"
    try:
        actual = sha256_file(path)
    except OSError as exc:
        return f"文书 {l.number} 的文件无法读取：{exc.strerror}"
    if actual != l.sha256:
        return f"文书 {l.number} 的文件内容与记录的 SHA-256 不符（文件被修改或替换）"
    return None


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


def verify(login: str | None, progress=None) -> dict:
    cfg = load_config()
    resolve_actor(cfg, login)
    with read_session() as s:
        snapshot(s)
        return verify_session(s, cfg, progress)


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
    resolve_actor(cfg, login)
    with read_session() as s:
        case = load_case(s, ref)
        out = history_session(s, cfg, case)
    out.pop("_facts"), out.pop("_calendar")
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
    private = actor.has("clerk", "admin")
    o = OUTCOMES.get(case.outcome) if case.outcome else None
    letter_problems = {b["letter_id"]: b["problem"] for b in integrity["broken"] if b["letter_id"] is not None}
    case_problems = [b for b in integrity["broken"] if b["case_id"] == case.id]
    return {
        "generated_at": now_shanghai().isoformat(), "generated_by": actor.login, "agency": cfg.agency.name,
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
        },
        "timeline": hist["entries"],
        "clocks": [c.to_json() for c in clocks],
        "consultations": [{"id": c.id, "kind": c.kind, "party": c.party, "sent_on": c.sent_on, "due_on": c.due_on,
                           "replied_on": c.replied_on, "lapsed_on": c.lapsed_on, "opinion": c.opinion,
                           "reason": c.reason} for c in cons],
        "letters": [{"id": l.id, "kind": l.kind, "kind_label": short_label(l.kind), "number": l.number, "issued_on": l.issued_on, "status": l.status,
                     "file": Path(l.path).name if l.path else None, "sha256": l.sha256,
                     "intact": None if not l.sha256 else l.id not in letter_problems,
                     "problem": letter_problems.get(l.id)} for l in letters],
        "challenges": challenges,
        "integrity": {"ok": not case_problems, "broken": case_problems},
        "findings": findings,
    }


def export(login: str | None, ref: str, fmt: str, out: str | None) -> dict:
    """Build the dossier and write it as PDF, CSV or JSON; returns {format, path|content}."""
    from ...letters.pdf import html_to_pdf, write_output

    if fmt not in EXPORT_FORMATS:
        raise InputError(f"导出格式“{fmt}”不存在；可选：{'、'.join(EXPORT_FORMATS)}")
    d = dossier(login, ref)
    if fmt == "json":
        from ...commands.common import dump_json

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


def _fmt_change(entry: dict) -> str:
    parts = []
    for k in entry["changed"]:
        b, a = entry["dues_before"].get(k), entry["dues_after"].get(k)
        parts.append(f"{clock_label(k)}：{b or '—'} → {a or '—'}")
    return "；".join(parts)


def _value_label(key: str, value) -> str:
    from ...states.vocabulary import CHALLENGE_KINDS, CHALLENGE_RESULTS, CONSULTATION_KINDS, DELIVERY_METHODS, OPINIONS

    if key == "outcome" and value in OUTCOMES:
        return OUTCOMES[value].label
    table = {"method": DELIVERY_METHODS, "opinion": OPINIONS, "result": CHALLENGE_RESULTS}.get(key, {})
    if key == "kind":
        table = {**CHALLENGE_KINDS, **CONSULTATION_KINDS}
    return table.get(value, str(value))


def _note(entry: dict) -> str:
    d = entry["data"] or {}
    bits = [entry["reason"]] if entry["reason"] else []
    for key, label in (("items", "补正事项"), ("party", "对象"), ("outcome", "结果"), ("method", "送达方式"),
                       ("workdays", "工作日"), ("opinion", "意见"), ("until", "延迟至"), ("number", "文号"),
                       ("withheld", "不予公开内容"), ("result", "结果"), ("body", "机关")):
        if d.get(key) not in (None, ""):
            bits.append(f"{label}：{_value_label(key, d[key])}")
    return "；".join(str(b) for b in bits)


def dossier_csv(d: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    c = d["case"]
    w.writerow(["类别", "序号", "日期", "事项", "办理人", "说明", "期限（办理前）", "期限（办理后）", "期限变化"])
    w.writerow(["案件", "", c["received_on"], f"{c['number']} {c['state_label']}", c["clerk"],
                f"申请人：{c['applicant']['name']}（{c['applicant']['type_label']}）；所需信息：{c['description']}"
                + (f"；办理结果：{c['outcome_label']}（{c['outcome_article']}）" if c["outcome_label"] else ""), "", "", ""])
    for e in d["timeline"]:
        note = "；".join(x for x in (_note(e), f"记录时间 {e['recorded_at']}" if e["recorded_at"] else "") if x)
        w.writerow(["办理记录", e["seq"], e["effective_on"] or "", e["label"], f"{e['actor_name']}（{e['actor']}）", note,
                    _fmt_dues(e["dues_before"]), _fmt_dues(e["dues_after"]), _fmt_change(e)])
    for k in d["clocks"]:
        w.writerow(["期限", "", k["due"] or "", k["label"], "", " / ".join(k["explanation"]), "", "", ""])
    for l in d["letters"]:
        state = "未生成" if l["intact"] is None else ("完好" if l["intact"] else f"异常：{l['problem']}")
        w.writerow(["文书", l["id"], l["issued_on"], f"{l['number']} {l['kind_label']}", "", f"SHA-256 {l['sha256'] or '—'}；{state}", "", "", ""])
    for ch in d["challenges"]:
        w.writerow(["复议诉讼", ch["id"], ch["filed_on"], ch["kind_label"], "", f"{ch['body']}；{ch['result_label']}"
                    + (f"（{ch['result_on']}）" if ch["result_on"] else ""), "", "", ""])
    for f in d["findings"]:
        w.writerow(["合规问题", f["seq"] or "", f["effective_on"] or "", f["title"], "", f"{f['message']}（{f['article']}）", "", "", ""])
    w.writerow(["完整性", "", "", "完好" if d["integrity"]["ok"] else "异常", "",
                "；".join(b["problem"] for b in d["integrity"]["broken"]), "", "", ""])
    return buf.getvalue()


DOSSIER_TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>案卷 {{ c.number }}</title>
<style>{{ css|safe }}
tr { page-break-inside: avoid; break-inside: avoid; }</style></head><body>
{% set ns = namespace(i=0) %}{% set cn = '一二三四五六七八九十' %}
<h1>政府信息公开申请办理案卷</h1>
<p class="meta">{{ d.agency }}　案件 {{ c.number }}　生成：{{ d.generated_at[:16].replace('T', ' ') }}（{{ d.generated_by }}）</p>
{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、基本情况</h2>
<table>
<tr><th class="l" style="width:22%">申请人</th><td class="l">{{ c.applicant.name }}（{{ c.applicant.type_label }}）{% if c.applicant.id_number %}　证件：{{ c.applicant.id_number }}{% endif %}{% if c.applicant.address %}　地址：{{ c.applicant.address }}{% endif %}</td></tr>
<tr><th class="l">提交方式 / 收到申请之日</th><td class="l">{{ c.channel_label }}　提交 {{ c.submitted_on }}，收到 {{ c.received_on }}（条例第三十一条）</td></tr>
<tr><th class="l">所需信息</th><td class="l">{{ c.description }}{% if c.requested_form %}（获取形式：{{ c.requested_form }}）{% endif %}</td></tr>
<tr><th class="l">状态 / 办理结果</th><td class="l">{{ c.state_label }}{% if c.outcome_label %}；{{ c.outcome_label }}（{{ c.outcome_article }}；年报 {{ c.report_row }}）{% endif %}</td></tr>
<tr><th class="l">经办人 / 办结 / 送达</th><td class="l">{{ c.clerk }}；办结 {{ c.closed_on or '—' }}；送达 {{ c.delivered_on or '—' }}{% if c.delivery_method %}（{{ method_label(c.delivery_method) }}）{% endif %}</td></tr>
<tr><th class="l">记录完整性</th><td class="l">{% if d.integrity.ok %}<span class="ok">哈希链与文书文件核验完好</span>{% else %}<span class="bad">异常：{% for b in d.integrity.broken %}{{ b.problem }}{% if not loop.last %}；{% endif %}{% endfor %}</span>{% endif %}</td></tr>
</table>
{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、办理经过</h2>
<table class="small">
<tr><th>#</th><th>办理日期</th><th>步骤</th><th>办理人</th><th class="l">说明</th><th class="l">期限变化（办理前 → 办理后）</th><th>记录时间</th></tr>
{% for e in d.timeline %}<tr><td>{{ e.seq }}</td><td>{{ e.effective_on or '—' }}</td><td>{{ e.label }}</td><td>{{ e.actor_name }}</td>
<td class="l">{{ note(e) }}{% if e.problem %}<br><span class="bad">{{ e.problem }}</span>{% endif %}</td><td class="l">{{ change(e) or '—' }}</td><td>{{ e.recorded_at[:16].replace('T', ' ') }}</td></tr>
{% endfor %}</table>
{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、期限及其计算</h2>
<table class="small">
<tr><th style="width:26%">期限</th><th style="width:12%">届满日</th><th class="l">计算说明</th></tr>
{% for k in d.clocks %}<tr><td class="l">{{ k.label }}</td><td>{{ k.due or '—' }}{% if k.provisional %}（暂定）{% endif %}</td>
<td class="l">{% for line in k.explanation %}{{ line }}{% if not loop.last %}<br>{% endif %}{% endfor %}</td></tr>
{% endfor %}</table>
{% if d.consultations %}{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、征求意见</h2>
<table class="small"><tr><th>编号</th><th>对象</th><th>发出</th><th>期限</th><th>答复/逾期</th><th>意见</th><th class="l">理由</th></tr>
{% for x in d.consultations %}<tr><td>{{ x.id }}</td><td>{{ x.party }}（{{ '第三方' if x.kind == 'third_party' else '其他机关' }}）</td><td>{{ x.sent_on }}</td><td>{{ x.due_on }}</td>
<td>{{ x.replied_on or ('逾期 ' ~ x.lapsed_on if x.lapsed_on else '—') }}</td><td>{{ x.opinion or '—' }}</td><td class="l">{{ x.reason }}</td></tr>{% endfor %}</table>{% endif %}
{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、文书</h2>
<table class="small"><tr><th>文号</th><th>种类</th><th>日期</th><th class="l">SHA-256</th><th>核验</th></tr>
{% for l in d.letters %}<tr><td>{{ l.number }}</td><td>{{ l.kind_label }}</td><td>{{ l.issued_on }}</td><td class="l" style="font-size:6.5pt">{{ l.sha256 or '—' }}</td>
<td>{% if l.intact is none %}未生成{% elif l.intact %}<span class="ok">完好</span>{% else %}<span class="bad">{{ l.problem }}</span>{% endif %}</td></tr>{% endfor %}</table>
{% if d.challenges %}{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、行政复议、行政诉讼</h2>
<table class="small"><tr><th>编号</th><th>类型</th><th>提起</th><th>机关</th><th>结果</th></tr>
{% for ch in d.challenges %}<tr><td>{{ ch.id }}</td><td>{{ ch.kind_label }}</td><td>{{ ch.filed_on }}</td><td>{{ ch.body or '—' }}</td><td>{{ ch.result_label }}{% if ch.result_on %}（{{ ch.result_on }}）{% endif %}</td></tr>{% endfor %}</table>{% endif %}
{% set ns.i = ns.i + 1 %}<h2>{{ cn[ns.i - 1] }}、合规检查</h2>
{% if d.findings %}<table class="small"><tr><th>问题</th><th>依据</th><th class="l">说明</th></tr>
{% for f in d.findings %}<tr><td>{{ f.title }}</td><td>{{ f.article }}</td><td class="l">{{ f.message }}</td></tr>{% endfor %}</table>
{% else %}<p>未发现问题。</p>{% endif %}
</body></html>
"""


def dossier_html(d: dict) -> str:
    import jinja2

    from ...letters.pdf import BASE_CSS

    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(DOSSIER_TEMPLATE).render(d=d, c=d["case"], css=BASE_CSS, note=_note, change=_fmt_change,
                                           method_label=lambda m: _value_label("method", m))
