"""A one-file HTML dashboard: open cases by urgency, outcomes, on-time rate by month.

Self-contained: inline CSS and inline SVG, no JavaScript, no CDN — it opens from a USB stick
or an intranet share (the page: engine/legal/templates/dashboard.html). Figures as of a day (`--as-of`):

- open = received on or before the day and not closed by then; urgency from the cached next
  due date of each case (the same cache the warning sweep reads), in working days left;
- outcomes = cases closed on or before the day, by outcome family (撤回 separately);
- on-time rate by month of closing, for cases answered (送达) or told 不予处理: timely iff the
  delivery/closing date <= the answer due date (RULES.md Delivery), for the 12 months up to the day.
"""
from __future__ import annotations

import datetime as dt
from html import escape

from sqlmodel import Session, select

from ...calendars import WorkCalendar
from ...states.machine import STATE_LABELS, CaseState
from ...states.outcomes import FAMILY_LABELS, OUTCOMES
from ..store.tables import Applicant, Case

BUCKETS = (
    ("overdue", "已逾期", "#c62828"),
    ("today", "今日到期", "#ef6c00"),
    ("d3", "1–3个工作日", "#f9a825"),
    ("d5", "4–5个工作日", "#9e9d24"),
    ("later", "5个工作日以上", "#2e7d32"),
    ("paused", "暂停计算", "#607d8b"),
    ("none", "无期限", "#9e9e9e"),
)
FONT_STACK = "'Noto Sans CJK SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif"


def _bucket(left: int | None, paused: bool) -> str:
    if paused:
        return "paused"
    if left is None:
        return "none"
    if left < 0:
        return "overdue"
    if left == 0:
        return "today"
    return "d3" if left <= 3 else ("d5" if left <= 5 else "later")


def _months(as_of: dt.date, n: int = 12) -> list[str]:
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m -= 1
        if m == 0:
            y, m = y - 1, 12
    return list(reversed(out))


def collect(session: Session, cal: WorkCalendar, as_of: dt.date) -> dict:
    rows = session.exec(select(Case, Applicant.name).join(Applicant, Applicant.id == Case.applicant_id)
                        .where(Case.received_on <= as_of).order_by(Case.id)).all()
    urgency = {k: 0 for k, _, _ in BUCKETS}
    urgent: list[dict] = []
    outcomes: dict[str, int] = {}
    months = _months(as_of)
    monthly = {m: {"timely": 0, "late": 0} for m in months}
    open_n = closed_n = 0
    for case, name in rows:
        closed_then = case.closed and (case.closed_on is None or case.closed_on <= as_of)
        if not closed_then:
            open_n += 1
            left = cal.count(as_of, case.next_due, allow_provisional=True) if case.next_due else None
            if case.next_due and case.next_due < as_of:
                left = -cal.count(case.next_due, as_of, allow_provisional=True) or -1
            b = _bucket(left, bool(case.clock_paused))
            urgency[b] += 1
            if b in ("overdue", "today", "d3", "d5"):
                urgent.append({"number": case.number, "applicant": name, "state": STATE_LABELS[CaseState(case.state)]
                               if case.state in CaseState._value2member_map_ else case.state,
                               "next_due": case.next_due, "left": left, "clerk": case.clerk})
            continue
        closed_n += 1
        if case.state == CaseState.WITHDRAWN.value:
            label = "申请人撤回"
        else:
            o = OUTCOMES.get(case.outcome or "")
            label = FAMILY_LABELS[o.family] if o else "未记录结果"
        outcomes[label] = outcomes.get(label, 0) + 1
        if case.state in (CaseState.ANSWERED.value, CaseState.NOT_HANDLED.value) and case.answer_due:
            when = case.delivered_on or case.closed_on
            key = f"{when.year:04d}-{when.month:02d}"
            if key in monthly:
                monthly[key]["timely" if when <= case.answer_due else "late"] += 1
    urgent.sort(key=lambda x: (x["left"] if x["left"] is not None else 999, x["number"]))
    answered = sum(v["timely"] + v["late"] for v in monthly.values())
    timely = sum(v["timely"] for v in monthly.values())
    return {"as_of": as_of, "open": open_n, "closed": closed_n, "urgency": urgency, "urgent": urgent[:15],
            "outcomes": dict(sorted(outcomes.items(), key=lambda kv: -kv[1])),
            "monthly": [{"month": m, **monthly[m]} for m in months],
            "on_time_rate": (timely / answered) if answered else None}


# --------------------------------------------------------------------------- SVG

def _hbar_svg(items: list[tuple[str, int, str]], width: int = 460) -> str:
    bar_h, gap, label_w = 22, 8, 120
    top = max([n for _, n, _ in items] + [1])
    h = len(items) * (bar_h + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" viewBox="0 0 {width} {h}" role="img">']
    for i, (label, n, color) in enumerate(items):
        y = gap + i * (bar_h + gap)
        w = 0 if n == 0 else max(2, int((width - label_w - 50) * n / top))
        parts.append(f'<text x="{label_w - 8}" y="{y + 16}" text-anchor="end" font-size="13">{escape(label)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y}" width="{w}" height="{bar_h}" rx="3" fill="{color}"/>')
        parts.append(f'<text x="{label_w + w + 6}" y="{y + 16}" font-size="13">{n}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _monthly_svg(monthly: list[dict], width: int = 760, height: int = 260) -> str:
    left, bottom, top_pad = 40, 40, 28
    plot_h = height - bottom - top_pad
    n = len(monthly)
    slot = (width - left - 10) / max(n, 1)
    top = max([m["timely"] + m["late"] for m in monthly] + [1])
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img">',
             f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 5}" y2="{top_pad + plot_h}" stroke="#999"/>']
    for i, m in enumerate(monthly):
        x = left + i * slot + slot * 0.15
        bw = slot * 0.7
        total = m["timely"] + m["late"]
        h_t = plot_h * m["timely"] / top
        h_l = plot_h * m["late"] / top
        y0 = top_pad + plot_h
        parts.append(f'<rect x="{x:.1f}" y="{y0 - h_t:.1f}" width="{bw:.1f}" height="{h_t:.1f}" fill="#2e7d32"/>')
        parts.append(f'<rect x="{x:.1f}" y="{y0 - h_t - h_l:.1f}" width="{bw:.1f}" height="{h_l:.1f}" fill="#c62828"/>')
        parts.append(f'<text x="{x + bw / 2:.1f}" y="{y0 + 16}" text-anchor="middle" font-size="11">{m["month"][2:]}</text>')
        if total:
            rate = f"{100 * m['timely'] / total:.0f}%"
            parts.append(f'<text x="{x + bw / 2:.1f}" y="{y0 - h_t - h_l - 5:.1f}" text-anchor="middle" font-size="11">{rate}</text>')
    parts.append(f'<rect x="{left}" y="6" width="12" height="12" fill="#2e7d32"/><text x="{left + 16}" y="16" font-size="12">按期</text>')
    parts.append(f'<rect x="{left + 60}" y="6" width="12" height="12" fill="#c62828"/><text x="{left + 76}" y="16" font-size="12">逾期</text>')
    parts.append("</svg>")
    return "".join(parts)


_OUTCOME_COLORS = ("#1565c0", "#6a1b9a", "#c62828", "#ef6c00", "#00838f", "#558b2f", "#8d6e63", "#9e9e9e", "#37474f")


def to_html(d: dict, agency: str) -> str:
    """The page (engine/legal/templates/dashboard.html) with its three charts."""
    from ..ledger.store import checkpoint_line
    from .pages import browser_page

    urgency = [(label, d["urgency"][k], color) for k, label, color in BUCKETS]
    outcomes = [(k, v, _OUTCOME_COLORS[i % len(_OUTCOME_COLORS)]) for i, (k, v) in enumerate(d["outcomes"].items())]
    rate = "—" if d["on_time_rate"] is None else f"{100 * d['on_time_rate']:.1f}%"
    return browser_page("dashboard.html", d=d, agency=agency, font_stack=FONT_STACK, rate=rate,
                        urgency_svg=_hbar_svg(urgency), outcomes_svg=_hbar_svg(outcomes) if outcomes else None,
                        monthly_svg=_monthly_svg(d["monthly"]), checkpoint=checkpoint_line(d.get("checkpoint")))


def build(login: str | None, as_of: dt.date | None = None) -> tuple[dict, str]:
    from ..store.calendar_store import load_calendar
    from ..config import load_config
    from ..ledger.store import latest_checkpoint
    from ..store.db import read_session
    from ..identity import resolve_actor, today

    cfg = load_config()
    resolve_actor(cfg, login)
    day = as_of or today()
    with read_session() as s:
        data = collect(s, load_calendar(s), day)
        data["checkpoint"] = latest_checkpoint(s)  # the newest checkpoint of the log it was made from
    return data, to_html(data, cfg.agency.name)
