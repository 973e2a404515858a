"""Information requested again and again.

- 条例第四十四条: information that several applicants asked for (and that may be disclosed) is
  a candidate for proactive disclosure. `repeated_requests` groups the applications by their
  normalised description and lists the groups asked for by at least N distinct applicants.
- 条例第三十六条第（六）项: an applicant who asks again for information already answered may be
  told that it will not be handled again. `repeat_warnings` tells the clerk at registration.

Normalisation (engine/store/keys.py, the key stored in applicant.name_key): Unicode NFKC, lower
case, and every whitespace, punctuation and symbol character removed, so "某道路改造工程 立项批复。"
and "某道路改造工程立项批复" are the same request.
Matching is exact on the normalised text (no fuzzy similarity: a false "重复申请" would be
worse than a missed one). Applicants are the same person when name and kind match and, where
both gave an identity number, the numbers match.
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


def repeated_requests(session: Session, *, min_applicants: int = 2, since: dt.date | None = None,
                      until: dt.date | None = None) -> dict:
    from sqlmodel import select

    from ..store.tables import Applicant, Case

    q = select(Case, Applicant).join(Applicant, Applicant.id == Case.applicant_id).order_by(Case.received_on, Case.id)
    if since:
        q = q.where(Case.received_on >= since)
    if until:
        q = q.where(Case.received_on <= until)
    groups: dict[str, dict] = {}
    for case, ap in session.exec(q).all():
        key = normalise(case.description)
        if not key:
            continue
        g = groups.setdefault(key, {"normalised": key, "description": case.description, "applicants": set(),
                                    "cases": [], "first_received": case.received_on, "last_received": case.received_on,
                                    "outcomes": {}})
        g["applicants"].add(applicant_key(ap))
        g["cases"].append(case.number)
        g["last_received"] = max(g["last_received"], case.received_on)
        if case.outcome:
            g["outcomes"][case.outcome] = g["outcomes"].get(case.outcome, 0) + 1
    items = []
    for g in groups.values():
        n = len(g["applicants"])
        if n < min_applicants:
            continue
        disclosed = sum(v for k, v in g["outcomes"].items() if k.startswith("disclose") or k == "partial")
        items.append({"description": g["description"], "normalised": g["normalised"], "applicants": n,
                      "requests": len(g["cases"]), "cases": g["cases"], "first_received": g["first_received"],
                      "last_received": g["last_received"], "outcomes": g["outcomes"],
                      "disclosed": disclosed})
    items.sort(key=lambda x: (-x["applicants"], -x["requests"], x["first_received"]))
    return {"min_applicants": min_applicants, "since": since, "until": until, "items": items,
            "article": "条例第四十四条：多个申请人就相同政府信息提出公开申请，且该信息可以公开的，可以纳入主动公开的范围"}


def report(login: str | None, *, min_applicants: int = 2, since: dt.date | None = None,
           until: dt.date | None = None) -> dict:
    from ..config import load_config
    from ..store.db import read_session
    from ...errors import InputError
    from ..identity import resolve_actor

    if min_applicants < 1:
        raise InputError("--min-applicants 至少为 1")
    resolve_actor(load_config(), login)
    with read_session() as s:
        return repeated_requests(s, min_applicants=min_applicants, since=since, until=until)
