"""From repeated requests to proactive disclosure (条例第四十四条; issue 17).

Information that several applicants requested, and that may be disclosed, is a candidate for
主动公开 (条例第四十四条: 多个申请人就相同政府信息向同一行政机关提出公开申请，且该政府信息属于
可以公开的，行政机关可以纳入主动公开的范围). The local plans ask for a yearly review of such
items (属性动态调整机制). The workflow:

- a clerk proposes an item (title, 文号, issuing body, the cases that asked for it): `propose`;
- a reviewer other than the proposer approves it, naming where it is published, or rejects it
  with a reason: `decide`;
- the items approved in a year are the list the agency publishes (`yearly`, PDF and CSV), and
  the annual report's narrative counts them;
- a new request for an approved item is told at registration (`converted_matches`), so the
  clerk can answer 已主动公开 (条例第三十六条第（一）项) with its location.

Every change is one transaction: the row in proactive_item and a `proactive` leaf of the agency's
log (engine/ledger/store.py verifies each row against its newest leaf).
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, fields

from ...errors import InputError, NotFound, PermissionDenied

ARTICLE = "《中华人民共和国政府信息公开条例》第四十四条"
STATES = {"proposed": "待审核", "approved": "已转为主动公开", "rejected": "不予转化"}
LEAF_KIND = "proactive"
MAX_CASES = 500


@dataclass
class ItemRow:
    id: int
    number: str
    year: int
    seq: int
    title: str
    doc_number: str
    issuer: str
    item_key: str
    cases: str
    applicants: int
    state: str
    proposed_by: str
    proposed_on: dt.date
    proposal_reason: str
    decided_by: str
    decided_on: dt.date | None
    decision_reason: str
    location: str

    def as_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["cases"] = json.loads(self.cases or "[]")
        d["state_label"] = STATES.get(self.state, self.state)
        for k in ("proposed_on", "decided_on"):
            d[k] = d[k].isoformat() if d[k] else None
        return d


_COLS = ", ".join(f.name for f in fields(ItemRow))


def item_key(title: str, doc_number: str = "") -> str:
    """What makes two recorded items the same: the 文号 where there is one (bracket variants and
    full-width digits agree), else the normalised title (similarity.item_key)."""
    from .similarity import item_key as key

    doc, plain_title, _body = key(title, doc_number, "")
    return f"文号:{doc}" if doc else f"名称:{plain_title}"


def normal_doc_number(text: str) -> str:
    """某发改[2025]12号, (2025), 全角数字 ... -> 某发改〔2025〕12号 (GB/T 9704 brackets); other text as given."""
    from .similarity import docno_text, features

    found = features(text).docnos if text else ()
    return docno_text(*next(iter(found))) if len(found) == 1 else text


def item_text(row: "ItemRow") -> str:
    """What an item is matched on as text: its title and 文号."""
    return " ".join(x for x in (row.title, row.doc_number) if x)


# --------------------------------------------------------------------------- reading

def _row(r) -> ItemRow:
    from ..store.rows import as_date

    v = list(r)
    v[12] = as_date(v[12])
    v[15] = as_date(v[15])
    return ItemRow(*v)


def find_item(db, ref: str, *, for_update: bool = False) -> ItemRow:
    """By number (2026-001) or id."""
    ref = str(ref).strip()
    lock = db.for_update() if for_update else ""
    col = "id" if ref.isdigit() else "number"
    value = int(ref) if ref.isdigit() else ref
    r = db.one(f"SELECT {_COLS} FROM proactive_item WHERE {col} = ?{lock}", (value,))
    if r is None:
        raise NotFound(f"没有编号为“{ref}”的转主动公开事项：用 ogi proactive list 查看")
    return _row(r)


def items(db, *, year: int | None = None, state: str | None = None) -> list[ItemRow]:
    """Items proposed (or, for approved/rejected, decided) in `year`, in number order."""
    sql, params = f"SELECT {_COLS} FROM proactive_item", []
    where = []
    if state:
        where.append("state = ?")
        params.append(state)
    if year:
        where.append("(year = ? OR (decided_on >= ? AND decided_on <= ?))")
        params += [year, dt.date(year, 1, 1), dt.date(year, 12, 31)]
    if where:
        sql += " WHERE " + " AND ".join(where)
    return [_row(r) for r in db.all(sql + " ORDER BY year, seq", params)]


# --------------------------------------------------------------------------- writing

def _leaf(db, row: ItemRow, action: str, actor) -> int:
    """The `proactive` leaf of a change, in the caller's transaction: the row as it now is."""
    from ..cases.history import canonical_json
    from ..identity import now_shanghai
    from ..ledger.store import append_leaf, next_index

    idx = next_index(db)  # the log's lock first, then the time the leaf records
    body = canonical_json({"kind": LEAF_KIND, "action": action, "article": ARTICLE, "item": row.as_dict(),
                           "actor": actor.login, "actor_auth": actor.auth,
                           "recorded_at": now_shanghai().isoformat()})
    return append_leaf(db, LEAF_KIND, row.id, body, idx)


def _text(value: str | None, what: str, *, required: bool = False, limit: int = 500) -> str:
    from ..cases.steps import clean_text

    return clean_text(value, what, required=required, limit=limit)


def _on(on: dt.date | None) -> dt.date:
    from ..identity import today

    now = today()
    if on is None:
        return now
    if on > now:
        raise InputError(f"日期 {on} 晚于今天 {now}，请核对")
    return on


def propose(db, cfg, actor, *, title: str, doc_number: str = "", issuer: str = "", cases: list[str] = (),
            reason: str = "", on: dt.date | None = None) -> ItemRow:
    """A clerk proposes converting an item to 主动公开 (条例第四十四条)."""
    from ..identity import require_role
    from ..store import rows
    from ..store.keys import applicant_key

    require_role(actor, "clerk", what="提出转为主动公开")
    title = _text(title, "信息名称", required=True, limit=200)
    doc_number = normal_doc_number(_text(doc_number, "文号", limit=100))
    issuer = _text(issuer, "发文机关", limit=200)
    reason = _text(reason, "提出理由", required=True)
    on = _on(on)
    if len(cases) > MAX_CASES:
        raise InputError(f"关联案件过多（{len(cases)} 件，上限 {MAX_CASES} 件）")
    numbers, applicants = [], set()
    for ref in dict.fromkeys(cases):
        case = rows.find_case(db, ref)
        _disclosable(case)
        numbers.append(case.number)
        ap = rows.applicant(db, case.applicant_id)
        if ap is not None:
            applicants.add(applicant_key(ap))
    key = item_key(title, doc_number)
    for other in db.all(f"SELECT {_COLS} FROM proactive_item WHERE item_key = ? AND state <> 'rejected'", (key,)):
        o = _row(other)
        raise InputError(f"该信息已有转主动公开事项 {o.number}（{STATES[o.state]}）：无需重复提出")
    seq = rows.next_value(db, "proactive", on.year)
    number = f"{on.year}-{seq:03d}"
    new_id = db.insert(
        "INSERT INTO proactive_item (number, year, seq, title, doc_number, issuer, item_key, cases, applicants, "
        "state, proposed_by, proposed_on, proposal_reason, decided_by, decided_on, decision_reason, location) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'proposed', ?, ?, ?, '', NULL, '', '')",
        (number, on.year, seq, title, doc_number, issuer, key, json.dumps(numbers, ensure_ascii=False),
         len(applicants), actor.login, on, reason))
    row = find_item(db, str(new_id))
    _leaf(db, row, "propose", actor)
    return row


def _disclosable(case) -> None:
    """条例第四十四条 covers information that may be disclosed: not what a case withheld."""
    from ...states.outcomes import OUTCOMES, Family

    o = OUTCOMES.get(case.outcome or "")
    if o is not None and o.family is Family.WITHHOLD:
        raise InputError(f"案件 {case.number} 的办理结果为“{o.label}”：该信息不属于可以公开的政府信息，"
                         "不能纳入主动公开（条例第四十四条）；请去掉该案件，或核实后另行处理")


def decide(db, cfg, actor, ref: str, *, approve: bool, reason: str = "", location: str = "",
           on: dt.date | None = None) -> ItemRow:
    """A reviewer approves (naming where the item is published) or rejects (with a reason). The
    proposer may not decide on their own proposal (四眼原则, as for a case's 报批)."""
    from ..identity import require_role

    require_role(actor, "reviewer", "head", what="审核转为主动公开")
    row = find_item(db, ref, for_update=True)
    if row.state != "proposed":
        raise InputError(f"事项 {row.number} 已{STATES[row.state]}（{row.decided_on}，{row.decided_by}），不能再次审核")
    if row.proposed_by == actor.login:
        raise PermissionDenied(f"事项 {row.number} 由 {actor.login} 提出，提出人不能审核自己的提议")
    reason = _text(reason, "审核意见", required=not approve)
    location = _text(location, "公开的位置（网站栏目或查阅场所）", required=approve)
    on = _on(on)
    if on < row.proposed_on:
        raise InputError(f"审核日期 {on} 早于提出日期 {row.proposed_on}，请核对")
    state = "approved" if approve else "rejected"
    db.run("UPDATE proactive_item SET state = ?, decided_by = ?, decided_on = ?, decision_reason = ?, location = ? "
           "WHERE id = ?", (state, actor.login, on, reason, location if approve else "", row.id))
    row = find_item(db, str(row.id))
    _leaf(db, row, "approve" if approve else "reject", actor)
    return row


# --------------------------------------------------------------------------- what follows from a decision

def converted_matches(db, description: str, limit: int = 3) -> list[ItemRow]:
    """Approved items a new request's description asks for (similarity.match on the item's title
    and 文号), best first: at registration the clerk is told the 已主动公开 answer is open."""
    rows_ = [_row(r) for r in db.all(f"SELECT {_COLS} FROM proactive_item WHERE state = 'approved' ORDER BY id")]
    if not rows_ or not (description or "").strip():
        return []
    from . import similarity as sim

    want = sim.features(description)
    scored = []
    for row in rows_:
        m = sim.match(want, sim.features(item_text(row)))
        if m is not None:
            scored.append((-m.score, row.id, row))
    return [r for _, _, r in sorted(scored)[:limit]]


def registration_notes(db, description: str, case_number: str = "案件号") -> list[str]:
    return [f"提示：所需信息可能已转为主动公开——事项 {r.number}“{r.title}”{f'（{r.doc_number}）' if r.doc_number else ''}，"
            f"公开位置：{r.location}。如属同一信息，可答复已主动公开（条例第三十六条第（一）项）："
            f"ogi case propose {case_number} --outcome disclose_already_public --where \"{r.location}\""
            for r in converted_matches(db, description)]


# --------------------------------------------------------------------------- the yearly list

def yearly(db, year: int) -> list[ItemRow]:
    """The items approved in `year`: the list the agency publishes."""
    return [r for r in items(db, state="approved") if r.decided_on and r.decided_on.year == year]


def yearly_csv(items_: list[dict]) -> str:
    """The yearly list as CSV (`items_`: ItemRow.as_dict() of the approved items)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["序号", "事项编号", "信息名称", "文号", "发文机关", "申请人数", "申请件数", "提出日期", "审核日期", "审核人", "公开位置"])
    for i, r in enumerate(items_, 1):
        w.writerow([i, r["number"], r["title"], r["doc_number"], r["issuer"], r["applicants"], len(r["cases"]),
                    r["proposed_on"], r["decided_on"], r["decided_by"], r["location"]])
    return "\ufeff" + buf.getvalue()  # BOM: Excel opens UTF-8 CSV as such


def yearly_text(r: dict, fmt: str) -> str:
    """`yearly_list`'s result as "csv" or "html" (the PDF is this HTML printed), made only when asked for."""
    if fmt == "csv":
        return yearly_csv(r["items"])
    from ...letters.pdf import BASE_CSS
    from ..ledger.store import checkpoint_line
    from .pages import document

    return document("proactive_list.html", rows=r["items"], year=r["year"], agency=r["agency"],
                    css=BASE_CSS, article=ARTICLE, checkpoint=checkpoint_line(r["checkpoint"]))


def year_summary(db, year: int) -> dict:
    """For the annual report's narrative: items approved and rejected in `year`."""
    every = items(db)
    decided = [r for r in every if r.decided_on and r.decided_on.year == year]
    return {"approved": [r.as_dict() for r in decided if r.state == "approved"],
            "rejected": sum(1 for r in decided if r.state == "rejected"),
            "pending": sum(1 for r in every if r.state == "proposed")}


# --------------------------------------------------------------------------- the front door (engine/api.py DOORS)

def _context(login: str | None):
    from ..config import load_config
    from ..identity import resolve_actor

    cfg = load_config()
    return cfg, resolve_actor(cfg, login)


def propose_item(login: str | None, **kw) -> dict:
    from ..store.db import write_db

    cfg, actor = _context(login)
    with write_db() as db:
        return propose(db, cfg, actor, **kw).as_dict()


def decide_item(login: str | None, ref: str, **kw) -> dict:
    from ..store.db import write_db

    cfg, actor = _context(login)
    with write_db() as db:
        return decide(db, cfg, actor, ref, **kw).as_dict()


def list_items(login: str | None, *, year: int | None = None, state: str | None = None) -> list[dict]:
    from ..store.db import read_session
    from ..store.rows import of_session

    _context(login)
    if state is not None and state not in STATES:
        raise InputError(f"状态“{state}”不存在；可选：" + "、".join(f"{k}（{v}）" for k, v in STATES.items()))
    with read_session() as s:
        return [r.as_dict() for r in items(of_session(s), year=year, state=state)]


def yearly_list(login: str | None, year: int) -> dict:
    """The list the agency publishes: items approved in `year`, with the log's newest checkpoint."""
    from ..ledger.store import latest_checkpoint
    from ..store.db import read_session
    from ..store.rows import of_session

    cfg, _actor = _context(login)
    if not 2000 <= year <= 2200:
        raise InputError(f"年度“{year}”不合理，请写四位年份，例如 --year 2026")
    with read_session() as s:
        db = of_session(s)
        rows_ = yearly(db, year)
        cp = latest_checkpoint(db)
    return {"year": year, "agency": cfg.agency.name, "article": ARTICLE, "items": [r.as_dict() for r in rows_],
            "checkpoint": cp}
