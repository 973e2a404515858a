"""Information requested again and again.

- 条例第四十四条: information that several applicants asked for (and that may be disclosed) is
  a candidate for proactive disclosure. `repeated_requests` groups the applications by their
  normalised description and lists the groups asked for by at least N distinct applicants.
- 条例第三十六条第（六）项: an applicant who asks again for information already answered may be
  told that it will not be handled again. `repeat_warnings` tells the clerk at registration.

The repeat warning matches exactly on the normalised text (engine/store/keys.py: NFKC, lower
case, no spaces or punctuation): a false "重复申请" would be worse than a missed one. The
candidate report for 主动公开 matches the items clerks recorded at 提出办理意见 first, then
descriptions by similarity (engine/legal/similarity.py; numbers, years and 文号 must agree;
thresholds in the configuration's [repeated]). Applicants are the same person when name and kind
match and, where both gave an identity number, the numbers match.
"""
from __future__ import annotations

import datetime as dt

from typing import TYPE_CHECKING

from ...states.machine import CaseState
from ..store.keys import applicant_key, normalise, same_applicant  # the stored key, also for descriptions

if TYPE_CHECKING:  # annotations only: the functions import the ORM where they use it
    from sqlmodel import Session


def repeat_warnings(session, case) -> list[str]:
    """Warnings for a just-registered case: the same applicant already had the same
    information answered (条例第三十六条第（六）项). Two indexed lookups (the applicant's
    normalised name, then those applicants' cases), so registering costs the same in an agency
    of a million cases. `session`: an ORM session or a store.rows.Db."""
    from ..store import rows as r

    db = r.of_session(session)
    ap = r.applicant(db, case.applicant_id)
    key = normalise(case.description)
    if ap is None or not key:
        return []
    same_name = {a.id: a for a in r.applicants_by_name_key(db, normalise(ap.name), ap.kind)}
    rows = sorted(((c, same_name[c.applicant_id]) for c in r.cases_of_applicants(db, list(same_name))
                   if c.id != case.id and c.state == CaseState.ANSWERED.value),
                  key=lambda pair: (pair[0].closed_on or dt.date.min, pair[0].id))
    out = []
    for other, other_ap in rows:
        if not same_applicant(ap, other_ap) or normalise(other.description) != key:
            continue
        when = other.delivered_on or other.closed_on
        out.append(f"注意：申请人“{ap.name}”曾就相同政府信息提出申请（案件 {other.number}），本机关已于 {when} 作出答复；"
                   "如确属重复申请，可告知不予重复处理（条例第三十六条第（六）项，办理结果 not_handled_repeat）")
    return out


def _recorded_items(session, since, until) -> dict[int, list[dict]]:
    """Case id -> the information items its latest proposal recorded (`info_items`, issue 17)."""
    from sqlalchemy import text

    from ..cases.history import decode

    sql = ("SELECT e.case_id, e.data FROM history_event e JOIN cases c ON c.id = e.case_id "
           "WHERE e.action = 'propose'")
    params = {}
    if since:
        sql += " AND c.received_on >= :since"
        params["since"] = since
    if until:
        sql += " AND c.received_on <= :until"
        params["until"] = until
    out: dict[int, list[dict]] = {}
    for case_id, data in session.execute(text(sql + " ORDER BY e.case_id, e.seq"), params,
                                         execution_options={"yield_per": 5000}):
        try:
            d = decode(data)
        except ValueError:
            continue
        found = d.get("info_items") if isinstance(d, dict) else None
        # The latest proposal counts: one without items (after a send-back) drops the earlier ones.
        out[case_id] = [x for x in found if isinstance(x, dict) and x.get("title")] if isinstance(found, list) else []
    return out


def _item_text(item: dict) -> str:
    return " ".join(v for v in (item.get("title"), item.get("number")) if v)


def _records(rows, items: dict[int, list[dict]], meta: list):
    """What is grouped, streamed from `rows` (case id, number, received_on, outcome, description,
    applicant name, kind, ID number): each recorded item of a case (its title and 文号, the same
    text for the same item key: grouped together unscored), else the case's description. `meta`
    keeps what a group reports per case, compactly: (number, received_on, outcome, applicant key)."""
    from .similarity import item_key

    canonical: dict[tuple, str] = {}
    for case_id, number, received_on, outcome, description, name, kind, id_number in rows:
        i = len(meta)
        meta.append((number, received_on, outcome, applicant_key(_Applicant(name, kind, id_number))))
        recorded = items.get(case_id)
        if recorded:
            for item in recorded:
                doc, title, _body = item_key(item.get("title", ""), item.get("number") or "", "")
                # One 文号 is one document, whatever its title was written as; else the title.
                yield (i, item), canonical.setdefault(("文号", doc) if doc else ("名称", title), _item_text(item))
        elif (description or "").strip():
            yield (i, None), description


def _distinct_items(items) -> list[dict]:
    """One entry per document: the same 文号 (else the same title) recorded twice is listed once."""
    from .similarity import item_key

    seen: dict[tuple, dict] = {}
    for x in items:
        doc, title, _body = item_key(x.get("title", ""), x.get("number") or "", "")
        seen.setdefault(("文号", doc) if doc else ("名称", title), x)
    return list(seen.values())


class _Applicant:
    __slots__ = ("name", "kind", "id_number")

    def __init__(self, name, kind, id_number):
        self.name, self.kind, self.id_number = name, kind, id_number


def repeated_requests(session: Session, *, min_applicants: int = 2, since: dt.date | None = None,
                      until: dt.date | None = None, thresholds=None) -> dict:
    """Requests for the same information by at least `min_applicants` distinct applicants: recorded
    items match on their key first, descriptions by similarity.group (numbers, years and 文号
    must agree); each group says why its members match and where its conversion stands."""
    from sqlmodel import select

    from ..store.rows import of_session
    from ..store.tables import Applicant, Case
    from . import similarity as sim
    from .proactive import item_key as proactive_key, item_text, items as proactive_items

    th = thresholds or sim.Thresholds()
    c, a = Case.__table__.c, Applicant.__table__.c
    q = (select(c.id, c.number, c.received_on, c.outcome, c.description, a.name, a.kind, a.id_number)
         .join(Applicant.__table__, a.id == c.applicant_id).order_by(c.received_on, c.id))
    if since:
        q = q.where(c.received_on >= since)
    if until:
        q = q.where(c.received_on <= until)
    recorded = _recorded_items(session, since, until)
    converted = {p.item_key: p for p in proactive_items(of_session(session)) if p.state != "rejected"}
    converted_features = [(p, sim.features(item_text(p))) for p in converted.values()]  # once, not per group
    meta: list[tuple] = []
    stream = session.execute(q, execution_options={"yield_per": 5000})
    out = []
    for g in sim.group(_records(stream, recorded, meta), th):
        members = list(dict.fromkeys(i for i, _ in g.members))
        applicants = {meta[i][3] for i in members}
        if len(applicants) < min_applicants:
            continue
        rows = [meta[i] for i in members]  # (number, received_on, outcome, applicant key)
        found = _distinct_items(x for _, x in g.members if x)
        outcomes: dict[str, int] = {}
        for r in rows:
            if r[2]:
                outcomes[r[2]] = outcomes.get(r[2], 0) + 1
        first, last = min(r[1] for r in rows), max(r[1] for r in rows)
        months = max(1, (last.year - first.year) * 12 + last.month - first.month + 1)
        item = next((converted[k] for k in (proactive_key(x["title"], x.get("number") or "") for x in found)
                     if k in converted), None) if found else None
        if item is None and converted_features:
            f = sim.features(g.text)
            item = next((p for p, pf in converted_features if sim.match(f, pf, th)), None)
        out.append({"description": g.text, "applicants": len(applicants), "requests": len(rows),
                    "cases": [r[0] for r in rows], "first_received": first, "last_received": last,
                    "per_month": round(len(rows) / months, 2), "outcomes": outcomes,
                    "disclosed": sum(v for k, v in outcomes.items() if k.startswith("disclose") or k == "partial"),
                    "items": found, "why": sim.reason(g) if len(g.members) > 1 else "",
                    "proactive": item.as_dict() if item else None})
    out.sort(key=lambda x: (-x["applicants"], -x["requests"], x["first_received"]))
    return {"min_applicants": min_applicants, "since": since, "until": until, "items": out,
            "thresholds": {"score": th.score},
            "article": "条例第四十四条：多个申请人就相同政府信息提出公开申请，且该信息可以公开的，可以纳入主动公开的范围"}


def report(login: str | None, *, min_applicants: int = 2, since: dt.date | None = None,
           until: dt.date | None = None) -> dict:
    from ..config import load_config
    from ..store.db import read_session
    from ...errors import InputError
    from ..identity import resolve_actor

    if min_applicants < 1:
        raise InputError("--min-applicants 至少为 1")
    cfg = load_config()
    resolve_actor(cfg, login)
    with read_session() as s:
        return repeated_requests(s, min_applicants=min_applicants, since=since, until=until,
                                 thresholds=thresholds_of(cfg))


def thresholds_of(cfg):
    """[repeated] in the configuration: the similarity thresholds (similarity.Thresholds)."""
    from dataclasses import fields, replace

    from ...errors import ConfigError
    from .similarity import Thresholds

    raw = cfg.raw.get("repeated", {}) or {}
    if not isinstance(raw, dict):
        raise ConfigError("配置文件的 [repeated] 应为一节（表）")
    known = {f.name: f.type for f in fields(Thresholds)}
    for k, v in raw.items():
        if k not in known:
            raise ConfigError(f"配置文件 [repeated] 中的“{k}”不是可设置的项；可选：{'、'.join(known)}")
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise ConfigError(f"配置文件 [repeated] {k} 应为非负数")
    return replace(Thresholds(), **{k: (int(v) if known[k] in (int, "int") else float(v)) for k, v in raw.items()})
