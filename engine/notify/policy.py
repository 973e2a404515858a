"""Pure decisions about a deadline warning: the level a clock has reached, who hears it on which
channel, when a failed try is retried, and what the message says (DESIGN.md, Warnings).

Levels. With thresholds (5, 3, 1) the levels are wd5, wd3, wd1, due_today, overdue. A sweep
gives each running clock the single most urgent level it has reached: the smallest threshold
t with (working days left) <= t. A clock first seen 2 working days before its due date gets
wd3 only, never a late wd5 as well; a clock seen daily climbs wd5 -> wd3 -> wd1 -> due_today
-> overdue, one warning per level. From `escalate_from` working days on, the supervisors and
the legal office hear too.

Plain functions and values only: no database, no configuration loading, no network.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

from ...states.vocabulary import clock_short
from ..cases.standing import DUE_TODAY_TEXT, left_text, overdue_text

if TYPE_CHECKING:
    from .settings import ChannelSettings

LEVEL_DUE_TODAY = "due_today"
LEVEL_OVERDUE = "overdue"
CHANNELS = ("email", "webhook")

_WEEKDAYS = "一二三四五六日"


def level_name(threshold: int) -> str:
    return f"wd{threshold}"


def levels(thresholds: Iterable[int]) -> list[str]:
    """All levels from the least to the most urgent: wd5, wd3, wd1, due_today, overdue."""
    return [level_name(t) for t in sorted(set(thresholds), reverse=True)] + [LEVEL_DUE_TODAY, LEVEL_OVERDUE]


def select_level(as_of: dt.date, due: dt.date, workdays_left: int, thresholds: Iterable[int]) -> str | None:
    """The single most urgent level reached on `as_of`, or None when the due date is still far.

    The period ends at 24:00 of its due date (RULES.md), so the due day itself is `due_today`
    and only the day after is `overdue`. `workdays_left` = working days in (as_of, due].
    """
    if due < as_of:
        return LEVEL_OVERDUE
    if due == as_of:
        return LEVEL_DUE_TODAY
    reached = [t for t in thresholds if workdays_left <= t]
    return level_name(min(reached)) if reached else None


def urgency(level: str, thresholds: Iterable[int]) -> int:
    """Higher is more urgent; comparable across levels of one configuration."""
    order = levels(thresholds)
    return order.index(level) if level in order else -1


def escalates(level: str, escalate_from: int) -> bool:
    """From the `escalate_from`-working-days level on, the head and the legal office hear too."""
    if level in (LEVEL_DUE_TODAY, LEVEL_OVERDUE):
        return True
    return level.startswith("wd") and int(level[2:]) <= escalate_from


def recipients_for(clerk: str, level: str, ch: ChannelSettings) -> tuple[str, ...]:
    out = [clerk]
    if escalates(level, ch.escalate_from):
        out += list(ch.supervisors) + list(ch.legal_office)
    return tuple(dict.fromkeys(out))  # order kept, duplicates dropped


def channels_for(user, ch: ChannelSettings) -> list[str]:
    """The channels a recipient can be reached on with this configuration."""
    out = []
    if user is not None and user.email and ch.smtp is not None:
        out.append("email")
    if user is not None and (user.webhook or ch.webhook):
        out.append("webhook")
    return out


def backoff(attempts: int, base: int = 60, cap: int = 3600) -> dt.timedelta:
    """Delay before the next try after `attempts` failed tries: base, 2 base, 4 base, ... <= cap."""
    n = max(attempts, 1) - 1
    return dt.timedelta(seconds=min(cap, base * (2 ** min(n, 30))))


def level_label(level: str) -> str:
    if level == LEVEL_OVERDUE:
        return "已逾期"
    if level == LEVEL_DUE_TODAY:
        return "今日到期"
    return f"到期前{level[2:]}个工作日"


def remaining_text(level: str, workdays_left: int) -> str:
    """The warning's words for where the due date stands (as `ogi case show` says it)."""
    if level == LEVEL_OVERDUE:
        return overdue_text(max(-workdays_left, 0))
    if level == LEVEL_DUE_TODAY:
        return DUE_TODAY_TEXT
    return left_text(workdays_left)


def next_steps(case_number: str, clock_key: str, level: str, consultation_no: int | None = None) -> list[tuple[str, str]]:
    """(what, command) pairs a clerk runs next for this clock. consultation_no: the consultation's
    number in the case, which `--consultation` takes (without it, the clock key's stored id)."""
    n = case_number
    base = clock_key.split(":", 1)[0]
    if base == "correction_notice":  # 条例第三十条: one correction notice within 7 WD, else accept
        return [("需要补正的，一次性告知补正", f'ogi case request-correction {n} --items "需补正的事项"'),
                ("无需补正的，予以受理", f"ogi case accept {n}")]
    if base == "correction":
        return [("已收到补正的", f"ogi case receive-correction {n}"),
                ("期满未补正的，视为放弃申请", f"ogi case correction-lapsed {n}")]
    if base == "consultation":
        cid = consultation_no if consultation_no is not None else clock_key.split(":", 1)[1]
        return [("已收到答复的", f"ogi case consultation-reply {n} --consultation {cid} --opinion agree|object|none"),
                ("期满未答复的", f"ogi case consultation-lapsed {n} --consultation {cid}")]
    if base == "payment":
        return [("已缴费的", f"ogi case fee-paid {n}"), ("期满未缴费的，视为放弃申请", f"ogi case fee-lapsed {n}")]
    out = [("查看案件和各项期限", f"ogi case show {n}")]
    if level != LEVEL_OVERDUE:  # 条例第三十三条第二款: extend before the due date, head's consent
        out.append(("确需延长的（经负责人同意，合计不超过20个工作日）", f'ogi case extend {n} --workdays N --reason "理由"'))
    return out


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    markdown: str


@dataclass(frozen=True)
class WarningView:
    """Everything a message says; applicant already masked."""

    case_number: str
    applicant: str
    clock: str
    clock_label: str
    level: str
    due_on: dt.date
    workdays_left: int
    as_of: dt.date
    provisional: bool
    state_label: str
    clerk: str                         # display name (login)
    escalated_to: tuple[str, ...] = ()  # display names of supervisors / legal office
    consultation_no: int | None = None  # a consultation clock: its number in the case


def _day(d: dt.date) -> str:
    return f"{d.isoformat()}（星期{_WEEKDAYS[d.weekday()]}）"


def compose(v: WarningView) -> Message:
    """The Chinese warning: case number, applicant, which clock, due date, what to run next."""
    left = remaining_text(v.level, v.workdays_left)
    short = clock_short(v.clock)
    subject = f"【期限提醒】案件 {v.case_number} {short}{left}（{v.due_on.isoformat()}）"
    prov = "（暂定：所涉年度尚无国务院节假日安排数据）" if v.provisional else ""
    steps = next_steps(v.case_number, v.clock, v.level, v.consultation_no)
    lines = [
        f"【期限提醒】{left}",
        f"案件编号：{v.case_number}",
        f"申请人：{v.applicant}",
        f"期限：{v.clock_label}",
        f"到期日：{_day(v.due_on)}{prov}",
        f"提醒级别：{level_label(v.level)}（按 {v.as_of.isoformat()} 计算）",
        f"办理状态：{v.state_label}",
        f"经办人：{v.clerk}",
        "下一步：",
        *[f"  {what}：{cmd}" for what, cmd in steps],
    ]
    if v.escalated_to:
        lines.append(f"本提醒已同时发送：{'、'.join(v.escalated_to)}")
    lines.append("—— ogi 期限提醒（系统自动发送，请勿回复）")
    md = [
        f"### 【期限提醒】{v.case_number} {short}{left}",
        f"> 申请人：{v.applicant}",
        f"> 期限：{v.clock_label}",
        f"> 到期日：**{_day(v.due_on)}**{prov}",
        f"> 提醒级别：{level_label(v.level)}（按 {v.as_of.isoformat()} 计算）",
        f"> 办理状态：{v.state_label}　经办人：{v.clerk}",
        "",
        "下一步：",
        *[f"- {what}：`{cmd}`" for what, cmd in steps],
    ]
    if v.escalated_to:
        md.append(f"\n本提醒已同时发送：{'、'.join(v.escalated_to)}")
    return Message(subject, "\n".join(lines), "\n".join(md))


def robot_payload(msg: Message, fmt: str = "text", flavor: str = "wecom") -> dict:
    """The JSON body of the 企业微信 / 钉钉 group robots."""
    if fmt == "markdown":
        if flavor == "dingtalk":
            return {"msgtype": "markdown", "markdown": {"title": msg.subject, "text": msg.markdown}}
        return {"msgtype": "markdown", "markdown": {"content": msg.markdown}}
    return {"msgtype": "text", "text": {"content": msg.text}}

