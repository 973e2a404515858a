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
from ...letters.kinds import short_label
from ...states.info_items import items_of
from ...states.machine import STATE_LABELS, TRIGGER_LABELS, CaseState, Trigger
from ...states.outcomes import OUTCOMES
from ...states.vocabulary import (APPLICANT_KINDS, CHALLENGE_KINDS, CHALLENGE_RESULTS, CHANNELS, CONSULTATION_KINDS,
                                  DELIVERY_METHODS, FEE_BASES, OPINIONS, auth_label)
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


# Letters rendered after a commit and warnings sent are recorded by the engine itself.
SYSTEM_ACTOR, SYSTEM_ACTOR_LABEL = "system", "系统"


def actor_label(actor: str, names: dict[str, str] | None = None) -> str:
    """Who acted, as shown: the user's name from the config, 系统 for the engine itself."""
    if actor == SYSTEM_ACTOR:
        return SYSTEM_ACTOR_LABEL
    return (names or {}).get(actor, actor)


def actor_auth_fields(actor_auth: str | None) -> dict[str, str]:
    """How an event's actor was authenticated: the stored code ("" before it was kept) and its
    Chinese, as every history row carries them (`actor_auth`, `actor_auth_label`)."""
    code = actor_auth or ""
    return {"actor_auth": code, "actor_auth_label": auth_label(code)}


def action_label(action: str) -> str:
    if action in Trigger._value2member_map_:
        return TRIGGER_LABELS[Trigger(action)]
    return ACTION_LABELS.get(action, action)


# --------------------------------------------------------------------------- what a step recorded
# An event's data keeps the stable codes; the note and the labels are how a person reads them.

def value_label(key: str, value: Any, action: str = "") -> str:
    """The Chinese of a coded value in an event's data (a value without one as it is)."""
    if key == "outcome":
        o = OUTCOMES.get(value)
        return o.label if o else str(value)
    if key == "kind":
        if action == "letter_rendered":
            return short_label(str(value))
        table = CHALLENGE_KINDS if action.startswith("review") else CONSULTATION_KINDS
        return table.get(value, str(value))
    table = {"method": DELIVERY_METHODS, "opinion": OPINIONS, "result": CHALLENGE_RESULTS, "basis": FEE_BASES,
             "applicant_type": APPLICANT_KINDS, "channel": CHANNELS}.get(key, {})
    return table.get(value, str(value))


_CODED = ("outcome", "kind", "method", "opinion", "result", "basis", "applicant_type", "channel")


def data_labels(action: str, data: dict | None) -> dict[str, str]:
    """{key: Chinese} for the coded values of an event's data (the `*_label` of --json)."""
    d = data or {}
    return {k: value_label(k, d[k], action) for k in _CODED if d.get(k) not in (None, "")}


def event_note(action: str, reason: str | None, data: dict | None) -> str:
    """One line for a person: the reason, then what the step recorded, every code in Chinese
    (对象：某公司（第三方）；意见：不同意公开；延长：20 个工作日)."""
    d = data or {}
    bits = [reason] if reason else []

    def has(key: str) -> bool:
        return d.get(key) not in (None, "")

    if action == "register":
        bits += [f"申请人类型：{value_label('applicant_type', d['applicant_type'])}"] if has("applicant_type") else []
        bits += [f"提交方式：{value_label('channel', d['channel'])}"] if has("channel") else []
        return "；".join(str(b) for b in bits)
    if action == "letter_rendered" and has("kind"):
        bits.append(f"文书：{value_label('kind', d['kind'], action)}")
    if has("party"):
        kind = f"（{value_label('kind', d['kind'], action)}）" if has("kind") and action == "consult" else ""
        bits.append(f"对象：{d['party']}{kind}")
    if has("consultation_id") and action in ("consultation_reply", "consultation_lapse"):
        # the consultation's number in the case (`--consultation N`), not its stored id
        bits.append(f"征求意见 {d.get('consultation_no') or d['consultation_id']}")
    for key, label in (("address", "通讯地址"), ("email", "电子邮箱")):  # 更正联系方式 (条例第二十九条)
        if has(key) and action == "correct_contact":
            bits.append(f"{label}：{d[key]}")
    if has("phone") and action == "correct_contact":
        from ..masking import mask_phone  # the note is read by every role: the number stays masked

        bits.append(f"联系电话：{mask_phone(str(d['phone']))}")
    for key, label in (("items", "补正事项"), ("outcome", "结果"), ("withheld", "不予公开内容"), ("opinion", "意见"),
                       ("method", "送达方式"), ("recipient", "签收人"), ("basis", "计收方式")):
        if has(key):
            bits.append(f"{label}：{value_label(key, d[key], action)}")
    if items_of(d):  # propose --item: the titles of the information disclosed
        bits.append("公开的信息：" + "、".join(i.title for i in items_of(d)))
    if has("quantity") and d.get("basis") == "per_page":
        bits.append(f"页数：{d['quantity']}")
    if has("amount"):
        bits.append(f"金额：{d['amount']} 元")
    if has("period_workdays"):
        bits.append(f"补正期限：{d['period_workdays']} 个工作日")
    if has("workdays"):
        bits.append(f"延长：{d['workdays']} 个工作日")
    for key, label in (("until", "延迟至"), ("number", "文号"), ("body", "机关")):
        if has(key):
            bits.append(f"{label}：{d[key]}")
    if action.startswith("review") and has("kind"):
        bits.append(f"类型：{value_label('kind', d['kind'], action)}")
    if has("result"):
        bits.append(f"结果：{value_label('result', d['result'], action)}")
    return "；".join(str(b) for b in bits)



@dataclass
class Entry:
    event: EventView
    state_before: CaseState | None
    state_after: CaseState | None
    dues_before: dict[str, dt.date | None]
    dues_after: dict[str, dt.date | None]
    clocks_after: list[clk.Clock] = field(default_factory=list)
    problem: str | None = None
    consultation_numbers: dict[int, int] = field(default_factory=dict)  # stored id -> number in the case

    @property
    def changed(self) -> list[str]:
        keys = list(dict.fromkeys([*self.dues_before, *self.dues_after]))
        return [k for k in keys if self.dues_before.get(k) != self.dues_after.get(k)]

    def to_json(self, names: dict[str, str] | None = None) -> dict[str, Any]:
        e = self.event
        data = clk.with_consultation_no(e.data, self.consultation_numbers)
        return {
            "seq": e.seq, "event_id": e.id, "recorded_at": e.recorded_at, "actor": e.actor,
            "actor_name": actor_label(e.actor, names), **actor_auth_fields(e.actor_auth),
            "action": e.action, "label": action_label(e.action),
            "effective_on": e.effective_on, "reason": e.reason, "data": data,
            "data_labels": data_labels(e.action, data), "note": event_note(e.action, e.reason, data),
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
            out.append(Entry(ev, state, f.state, before, after, clocks,
                             consultation_numbers={c.id: c.no for c in f.consultations.values()}))
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
