"""The daily digest: each clerk's open cases, most urgent first, one message per clerk.

digest(as_of) computes it from the cases' clocks (the same bulk replay as the sweep),
compose_digest() words it, send_digest() sends it once through the clerk's channels: best
effort, not queued for retries, since it is recomputed every day.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from ...errors import DeliveryError
from ...states.vocabulary import clock_short
from ..config import Config, load_config
from .outbox import load_facts
from .policy import LEVEL_OVERDUE, Message, channels_for, remaining_text, select_level
from .settings import address_for, channel_settings
from .transports import Transport, default_transports


def digest(as_of: dt.date, *, clerk: str | None = None, cfg: Config | None = None, url: str | None = None) -> dict:
    """Each clerk's open cases ordered by urgency: overdue first, then by working days left."""
    from ...states.machine import STATE_LABELS, CaseState
    from ..cases import clocks as clk
    from ..store.calendar_store import load_calendar
    from ..store.db import read_session
    from ...errors import InputError
    from ..masking import mask_name
    from ..store.tables import Applicant, Case

    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    if clerk and clerk not in cfg.users:
        raise InputError(f"用户“{clerk}”未在配置文件中登记；已登记：{'、'.join(sorted(cfg.users))}")
    with read_session(url) as s:
        cal = load_calendar(s)
        conn = s.connection()
        t, a = Case.__table__, Applicant.__table__
        q = (select(t.c.id, t.c.number, t.c.clerk, t.c.state, a.c.name, a.c.kind)
             .join(a, a.c.id == t.c.applicant_id).where(t.c.closed == False))  # noqa: E712
        if clerk:
            q = q.where(t.c.clerk == clerk)
        rows = conn.execute(q.order_by(t.c.id)).all()
        facts = load_facts(conn, [r.id for r in rows], cfg)
    by_clerk: dict[str, list] = {}
    far = 10 ** 6
    for r in rows:
        f = facts[r.id]
        entry = {"case": r.number, "case_id": r.id, "applicant": mask_name(r.name, r.kind), "state": r.state,
                 "state_label": STATE_LABELS.get(CaseState(r.state), r.state), "clocks": [], "error": None}
        if isinstance(f, Exception):
            entry["error"] = f"{type(f).__name__}: {str(f)[:200]}"
        else:
            try:
                for c in clk.compute_clocks(f, cal):
                    if not c.running or c.due is None:
                        continue
                    left = cal.count(as_of, c.due, allow_provisional=True)
                    entry["clocks"].append({"clock": c.key, "clock_label": clock_short(c.key), "due_on": c.due,
                                            "workdays_left": left, "level": select_level(as_of, c.due, left, ch.thresholds),
                                            "provisional": c.provisional})
            except Exception as exc:  # noqa: BLE001
                entry["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        entry["clocks"].sort(key=lambda c: (c["due_on"], c["clock"]))
        first = entry["clocks"][0] if entry["clocks"] else None
        entry["next"] = first
        entry["_rank"] = (first["due_on"].toordinal() if first else far, r.id)
        by_clerk.setdefault(r.clerk, []).append(entry)
    return {"as_of": as_of, "clerks": _per_clerk(by_clerk, clerk, cfg)}


def _per_clerk(by_clerk: dict[str, list], clerk: str | None, cfg: Config) -> list[dict]:
    """Clerks by login, each one's cases by rank (earliest running due date first)."""
    clerks = []
    for login in sorted(by_clerk):
        cases = sorted(by_clerk[login], key=lambda e: e["_rank"])
        for e in cases:
            e.pop("_rank")
        u = cfg.users.get(login)
        clerks.append({"clerk": login, "name": u.name if u else login, "open_cases": len(cases),
                       "overdue": sum(1 for e in cases if e["next"] and e["next"]["level"] == LEVEL_OVERDUE),
                       "cases": cases})
    if clerk and not clerks:
        u = cfg.users[clerk]
        clerks.append({"clerk": clerk, "name": u.name, "open_cases": 0, "overdue": 0, "cases": []})
    return clerks


def compose_digest(entry: dict, as_of: dt.date) -> Message:
    """One clerk's daily digest as a message (pure)."""
    name = f"{entry['name']}（{entry['clerk']}）"
    subject = f"【每日期限汇总】{as_of.isoformat()} {name}：在办 {entry['open_cases']} 件，逾期 {entry['overdue']} 件"
    lines = [subject, ""]
    md = [f"### {subject}", ""]
    if not entry["cases"]:
        lines.append("没有在办案件。")
        md.append("没有在办案件。")
    for e in entry["cases"]:
        n = e["next"]
        if n:
            when = f"{clock_short(n['clock'])} {n['due_on'].isoformat()}，{remaining_text(n['level'] or '', n['workdays_left']) if n['level'] else '还剩 %d 个工作日' % n['workdays_left']}"
        else:
            when = "期限暂停或无进行中的期限"
        lines.append(f"{e['case']}　{e['applicant']}　{e['state_label']}　{when}")
        md.append(f"- **{e['case']}** {e['applicant']} {e['state_label']}：{when}")
    lines += ["", "查看详情：ogi case list --clerk " + entry["clerk"]]
    md += ["", f"查看详情：`ogi case list --clerk {entry['clerk']}`"]
    return Message(subject, "\n".join(lines), "\n".join(md))


def send_once(login: str, msg: Message, cfg: Config, ch, transports: dict[str, Transport]) -> list[tuple[str, str | None]]:
    """`msg` to one user through every channel they can be reached on, once (best effort, not
    queued: the daily digest, the day's checkpoint): (channel, error or None) for each; [] when
    the user has no channel."""
    out = []
    for c in channels_for(cfg.users.get(login), ch):
        addr, err = address_for(c, login, cfg, ch)
        if not err:
            try:
                transports[c].send(addr, msg)
            except DeliveryError as exc:
                err = exc.message
            except KeyError:
                err = f"没有 {c} 发送渠道"
        out.append((c, err or None))
    return out


def send_digest(result: dict, *, cfg: Config | None = None, transports: dict[str, Transport] | None = None) -> list[dict]:
    """Send each clerk's digest once through their channels (best effort: a digest is
    recomputed every day, so it is not queued for retries)."""
    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    own = transports is None
    transports = default_transports(ch) if own else transports
    out = []
    try:
        for entry in result["clerks"]:
            sent = send_once(entry["clerk"], compose_digest(entry, result["as_of"]), cfg, ch, transports)
            if not sent:
                out.append({"clerk": entry["clerk"], "channel": "none", "ok": False, "error": "没有可用的提醒渠道"})
            out += [{"clerk": entry["clerk"], "channel": c, "ok": not err, "error": err} for c, err in sent]
    finally:
        if own:
            for t in transports.values():
                t.close()
    return out
