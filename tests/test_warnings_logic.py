"""The pure parts of the warnings: level selection, escalation, backoff, the candidate horizon,
message text and the group-robot payloads, masking, and config parsing."""
from __future__ import annotations

import datetime as dt

import pytest

from ogi.engine.notify.outbox import candidate_horizon, warning_status
from ogi.engine.notify.policy import (Message, WarningView, backoff, compose, escalates, levels, recipients_for,
                                      robot_payload, select_level, urgency)
from ogi.engine.notify.settings import ChannelSettings, channel_settings
from ogi.engine.notify.transports import mask_address
from ogi.errors import ConfigError

MON = dt.date(2026, 11, 16)


@pytest.mark.parametrize("left, level", [
    (9, None), (6, None), (5, "wd5"), (4, "wd5"), (3, "wd3"), (2, "wd3"), (1, "wd1"),
])
def test_single_most_urgent_level_reached(left, level):
    due = MON + dt.timedelta(days=10)  # the date only matters for due_today / overdue
    assert select_level(MON, due, left, (5, 3, 1)) == level


def test_due_day_and_after():
    assert select_level(MON, MON, 0, (5, 3, 1)) == "due_today"
    assert select_level(MON, MON - dt.timedelta(days=1), -1, (5, 3, 1)) == "overdue"
    # a due date on a day off after as_of with no working day in between: the nearest level
    assert select_level(MON, MON + dt.timedelta(days=1), 0, (5, 3, 1)) == "wd1"


def test_levels_follow_the_configured_thresholds():
    assert levels((10, 2)) == ["wd10", "wd2", "due_today", "overdue"]
    assert select_level(MON, MON + dt.timedelta(days=20), 7, (10, 2)) == "wd10"
    assert urgency("overdue", (5, 3, 1)) > urgency("due_today", (5, 3, 1)) > urgency("wd1", (5, 3, 1)) \
        > urgency("wd5", (5, 3, 1))


def test_escalation_and_recipients():
    ch = ChannelSettings(supervisors=("wang",), legal_office=("zhao", "wang"), escalate_from=1)
    assert recipients_for("li", "wd3", ch) == ("li",)
    assert recipients_for("li", "wd1", ch) == ("li", "wang", "zhao")
    assert recipients_for("wang", "overdue", ch) == ("wang", "zhao")
    assert escalates("due_today", 1) and escalates("wd3", 3) and not escalates("wd5", 3)


def test_backoff_doubles_and_is_capped():
    got = [int(backoff(n, 60, 3600).total_seconds()) for n in range(1, 10)]
    assert got == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert backoff(10 ** 6, 60, 3600).total_seconds() == 3600


def test_candidate_horizon_covers_due_dates_on_days_off(calendar):
    # Mon 11/16 + 5 WD = Mon 11/23; the 6th WD is Tue 11/24: anything before it is within 5 WD.
    h = candidate_horizon(MON, calendar, (5, 3, 1))
    assert h == dt.date(2026, 11, 23)
    fri = dt.date(2026, 11, 20)
    sat = fri + dt.timedelta(days=1)
    assert calendar.count(fri, sat) == 0  # a due date on a Saturday, 0 WD after Friday
    assert candidate_horizon(dt.date(2026, 11, 13), calendar, (5,)) >= sat


def view(**kw):
    base = dict(case_number="2026-0007", applicant="张*", clock="answer", clock_label="答复期限（条例第三十三条）",
                level="wd3", due_on=dt.date(2026, 11, 19), workdays_left=3, as_of=MON, provisional=False,
                state_label="已受理办理中", clerk="李明（li）")
    base.update(kw)
    return WarningView(**base)


def test_message_says_case_applicant_clock_due_and_next_command():
    m = compose(view())
    assert m.subject == "【期限提醒】案件 2026-0007 答复期限还剩 3 个工作日（2026-11-19）"
    for part in ("案件编号：2026-0007", "申请人：张*", "答复期限（条例第三十三条）", "2026-11-19（星期四）",
                 "ogi case show 2026-0007", "ogi case extend 2026-0007"):
        assert part in m.text, part
    assert "本提醒已同时发送" not in m.text
    late = compose(view(level="overdue", workdays_left=-2, escalated_to=("王强（wang）",)))
    assert "已逾期 2 个工作日" in late.subject and "ogi case extend" not in late.text
    assert "本提醒已同时发送：王强（wang）" in late.text
    prov = compose(view(provisional=True))
    assert "暂定" in prov.text


@pytest.mark.parametrize("clock, commands", [
    ("correction_notice", ["ogi case request-correction 2026-0007 --items", "ogi case accept 2026-0007"]),
    ("correction", ["ogi case receive-correction 2026-0007", "ogi case correction-lapsed 2026-0007"]),
    ("consultation:12", ["ogi case consultation-reply 2026-0007 --consultation 12", "ogi case consultation-lapsed 2026-0007 --consultation 12"]),
    ("payment", ["ogi case fee-paid 2026-0007", "ogi case fee-lapsed 2026-0007"]),
])
def test_each_clock_names_its_next_commands(clock, commands):
    text = compose(view(clock=clock)).text
    for c in commands:
        assert c in text


def test_robot_payloads():
    m = Message("主题", "正文", "**正文**")
    assert robot_payload(m) == {"msgtype": "text", "text": {"content": "正文"}}
    assert robot_payload(m, "markdown", "wecom") == {"msgtype": "markdown", "markdown": {"content": "**正文**"}}
    assert robot_payload(m, "markdown", "dingtalk") == {"msgtype": "markdown", "markdown": {"title": "主题", "text": "**正文**"}}
    assert mask_address("webhook", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=SECRET") == "https://qyapi.weixin.qq.com/…"


def test_mask_name():
    from ogi.engine.masking import mask_name

    assert mask_name("张三") == "张*" and mask_name("欧阳小明") == "欧***" and mask_name("某公司", "commercial") == "某公司"


def test_warning_status_summary():
    assert warning_status(["sent", "sent"]) == "sent"
    assert warning_status(["sent", "failed"]) == "failed"
    assert warning_status(["pending", "sent"]) == "pending"
    assert warning_status(["cancelled", "cancelled"]) == "cancelled"
    assert warning_status(["no_address"]) == "undeliverable"
    assert warning_status(["sent", "no_address"]) == "sent"


def _cfg(extra: str):
    from ogi.engine.config import DEFAULT_CONFIG, parse_config

    return parse_config(DEFAULT_CONFIG.replace('legal_office = ["zhao"]\n', 'legal_office = ["zhao"]\n' + extra), "test")


def test_channel_settings_parse_and_refuse():
    ch = channel_settings(_cfg('webhook = "https://oapi.dingtalk.com/robot/send?access_token=x"\n'
                                 'webhook_format = "markdown"\nwebhook_flavor = "dingtalk"\ninterval_minutes = 15\n'
                                 '[warnings.smtp]\nhost = "mail.example.gov.cn"\nport = 587\nstarttls = true\n'
                                 'sender = "ogi@example.gov.cn"\nusername = "ogi"\npassword = "pw"\n'))
    assert ch.smtp.host == "mail.example.gov.cn" and ch.smtp.port == 587 and ch.smtp.starttls
    assert ch.webhook_flavor == "dingtalk" and ch.interval_minutes == 15 and ch.thresholds == (5, 3, 1)
    assert channel_settings(_cfg("")).smtp is None
    with pytest.raises(ConfigError, match="webhook_format 只能是"):
        channel_settings(_cfg('webhook_format = "html"\n'))
    with pytest.raises(ConfigError, match="starttls 与 warnings.smtp.ssl 只能选一个"):
        channel_settings(_cfg('[warnings.smtp]\nhost = "x"\nsender = "a@b.cn"\nstarttls = true\nssl = true\n'))
    with pytest.raises(ConfigError, match="interval_minutes"):
        channel_settings(_cfg('interval_minutes = 0\n'))
