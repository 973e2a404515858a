"""A case's history as a timeline with the due dates before and after each event (pure).

Before/after are derived, never stored: the due dates after event n are those of
`clocks.replay(events[:n])` through `clocks.compute_clocks`, with today's calendar. A history
that the transition table cannot replay (imported or damaged data) keeps its entries and
carries the problem instead of raising.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Sequence

from ...calendars import WorkCalendar
from ...states.machine import STATE_LABELS, TRIGGER_LABELS, CaseState, Trigger
from . import clocks as clk
from .history import EventView

ACTION_LABELS = {
    "register": "登记",
    "recompute": "日历更新后重新计算期限",
    "letter_rendered": "生成文书",
    "warning_sent": "发出期限提醒",
    "review_recorded": "登记行政复议/诉讼",
    "review_result": "登记行政复议/诉讼结果",
}


def action_label(action: str) -> str:
    if action in Trigger._value2member_map_:
        return TRIGGER_LABELS[Trigger(action)]
    return ACTION_LABELS.get(action, action)



@dataclass
class Entry:
    event: EventView
    state_before: CaseState | None
    state_after: CaseState | None
    dues_before: dict[str, dt.date | None]
    dues_after: dict[str, dt.date | None]
    clocks_after: list[clk.Clock] = field(default_factory=list)
    problem: str | None = None

    @property
    def changed(self) -> list[str]:
        keys = list(dict.fromkeys([*self.dues_before, *self.dues_after]))
        return [k for k in keys if self.dues_before.get(k) != self.dues_after.get(k)]

    def to_json(self, names: dict[str, str] | None = None) -> dict[str, Any]:
        e = self.event
        return {
            "seq": e.seq, "event_id": e.id, "recorded_at": e.recorded_at, "actor": e.actor,
            "actor_name": (names or {}).get(e.actor, e.actor), "action": e.action, "label": action_label(e.action),
            "effective_on": e.effective_on, "reason": e.reason, "data": e.data,
            "state_before": self.state_before.value if self.state_before else None,
            "state_after": self.state_after.value if self.state_after else None,
            "state_after_label": STATE_LABELS.get(self.state_after) if self.state_after else None,
            "dues_before": self.dues_before, "dues_after": self.dues_after, "changed": self.changed,
            "hash": e.hash, "problem": self.problem,
        }


def build(events: Sequence, cal: WorkCalendar, *, correction_period: int = 15,
          fee_pauses: bool = True) -> tuple[list[Entry], clk.CaseFacts | None]:
    """Entries for `events` (ordered by seq) and the facts after the last replayable one."""
    views = [e if isinstance(e, EventView) else EventView(e, strict=False) for e in events]
    out: list[Entry] = []
    facts: clk.CaseFacts | None = None
    before: dict[str, dt.date | None] = {}
    state: CaseState | None = None
    broken: str | None = None
    for i, ev in enumerate(views):
        if broken is None:
            try:
                f = clk.replay(views[: i + 1], correction_period=correction_period, fee_pauses=fee_pauses)
                clocks = clk.compute_clocks(f, cal)
            except Exception as exc:  # noqa: BLE001 - imported/damaged data: report, do not crash
                broken = _describe(ev, state, exc)
                out.append(Entry(ev, state, state, before, before, [], broken))
                continue
            facts = f
            after = {c.key: c.due for c in clocks}
            if ev.action == "recompute" and isinstance(ev.data.get("before"), dict):
                # The calendar changed here: show what the case row held before and after.
                b = ev.data["before"].get("answer_due")
                before = {**before, "answer": dt.date.fromisoformat(b) if isinstance(b, str) else b}
            out.append(Entry(ev, state, f.state, before, after, clocks))
            before, state = after, f.state
        else:
            out.append(Entry(ev, state, state, before, before, [], "前面的记录无法按流程重放，此后的期限不再推算"))
    return out, facts


def _describe(ev: EventView, state: CaseState | None, exc: Exception) -> str:
    label = action_label(ev.action)
    if ev.seq == 1 or state is None:
        return f"第 {ev.seq} 条记录（{label}）不是登记，案件缺少起点"
    if isinstance(exc, ValueError) and str(exc).startswith("no transition"):
        why = "办理流程中没有从该状态出发的这一步"
    elif isinstance(exc, KeyError):
        why = f"记录缺少必要的数据（{exc}）"
    else:
        why = f"记录的数据有误（{type(exc).__name__}）"
    return f"第 {ev.seq} 条记录（{label}）不能从状态“{STATE_LABELS.get(state, state)}”按流程重放：{why}"
