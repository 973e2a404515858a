"""Delivering the outbox through a real SMTP server (aiosmtpd) and a real group-robot HTTP
server on loopback: a mail server that is down and comes back gets every warning exactly once;
a failing recipient never causes a resend to the others; sent warnings land in the case
history; messages are Chinese, masked, and say what to run next; stale warnings are cancelled."""
from __future__ import annotations

import datetime as dt

import pytest

from warnings_support import Robot, SmtpServer, free_port, received_for, shift, write_config

AS_OF = dt.date(2026, 11, 16)
T0 = dt.datetime(2026, 11, 16, 9, 0)  # Asia/Shanghai


@pytest.fixture(autouse=True)
def _no_letter_rendering(monkeypatch):
    monkeypatch.setattr("ogi.engine.api.after_commit", lambda case_id: [])


@pytest.fixture
def robot():
    r = Robot().start()
    yield r
    r.stop()


def accepted_case(ogi, cal, k: int, name: str = "张三", kind: str = "natural") -> str:
    """A case whose answer clock is k working days after AS_OF."""
    r = received_for(cal, shift(cal, AS_OF, k))
    n = ogi.register(r.isoformat(), name, kind)["number"]
    ogi.ok("case", "accept", n, "--date", r.isoformat())
    return n


def history_actions(ogi, number: str) -> list[dict]:
    return [h for h in ogi.json("case", "show", number)["history"] if h["action"] == "warning_sent"]


def test_smtp_down_then_back_gets_every_warning_once(ogi, calendar, monkeypatch, robot):
    from ogi.engine.notify.delivery import send_round

    cal = calendar
    smtp = SmtpServer()  # a port with nobody listening yet: the mail server is down
    write_config(ogi, monkeypatch, smtp_port=smtp.port, webhook=robot.url("/group"))
    a = accepted_case(ogi, cal, 4)    # wd5: clerk only
    b = accepted_case(ogi, cal, 1)    # wd1: clerk + head + legal office
    c = accepted_case(ogi, cal, -1)   # overdue: clerk + head + legal office
    sweep = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert sweep["created"] == 3
    assert {x["user"]: x["channels"] for x in sweep["warnings"][0]["recipients"]} == {"li": ["email", "webhook"]}

    # Round 1 through the CLI: mail fails with one clear line (exit 1, no traceback), the robot works.
    r = ogi("warnings", "send", "--now", T0.isoformat(), "--json")
    assert r.exit_code == 1 and "Traceback" not in r.stderr
    assert f"无法连接邮件服务器 127.0.0.1:{smtp.port}" in r.stderr and "自动重试" in r.stderr
    out = r.json
    assert out["ok"] is False and out["failed"] == 7 and out["sent"] == 7
    # one post per warning to the shared group robot, however many recipients share it
    assert len(robot.on("/group")) == 3 and out["messages"] == 3
    retry = {e["next_attempt_at"] for e in out["errors"]}
    assert retry == {"2026-11-16T09:01:00+08:00"}  # first backoff: 60 s

    smtp.start()
    try:
        # Before the backoff has passed nothing is retried.
        early = send_round(T0 + dt.timedelta(seconds=30))
        assert early["due"] == 0 and smtp.messages == []
        # After it every mail goes out exactly once.
        later = send_round(T0 + dt.timedelta(minutes=2))
        assert later["sent"] == 7 and later["failed"] == 0
        assert sorted(m["to"][0] for m in smtp.messages) == sorted(
            ["li@example.gov.cn"] * 3 + ["wang@example.gov.cn"] * 2 + ["zhao@example.gov.cn"] * 2)
        # Later rounds send nothing new.
        assert send_round(T0 + dt.timedelta(days=1))["due"] == 0
        assert len(smtp.messages) == 7 and len(robot.posts) == 3
        # A second sweep of the same day adds nothing, so nothing more is sent.
        assert ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())["created"] == 0
        assert send_round(T0 + dt.timedelta(days=1))["due"] == 0
    finally:
        smtp.stop()

    # Every warning is marked sent in the outbox, with its attempts.
    rows = {w["case"]: w for w in ogi.json("warnings", "list")}
    assert all(w["status"] == "sent" and w["sent"] for w in rows.values())
    mail_li = next(d for d in rows[a]["recipients"] if d["channel"] == "email")
    assert mail_li["attempts"] == 2 and mail_li["sent_at"] == "2026-11-16T09:02:00+08:00"
    hook = next(d for d in rows[a]["recipients"] if d["channel"] == "webhook")
    assert hook["attempts"] == 1 and hook["address"].startswith("http://127.0.0.1:") and "/group" not in hook["address"]

    # Each delivery is recorded in the case history (webhook + email per recipient address).
    assert len(history_actions(ogi, a)) == 2
    sent_b = history_actions(ogi, b)
    assert len(sent_b) == 4
    assert {h["data"]["channel"] for h in sent_b} == {"email", "webhook"}
    assert sent_b[0]["actor"] == "system" and sent_b[0]["data"]["level"] == "wd1"
    assert len(history_actions(ogi, c)) == 4

    # The message: Chinese, masked applicant, clock, due date, the command to run next.
    mail = next(m for m in smtp.messages if a in m["subject"])
    due = shift(cal, AS_OF, 4).isoformat()
    assert mail["subject"] == f"【期限提醒】案件 {a} 答复期限还剩 4 个工作日（{due}）"
    assert "申请人：张*" in mail["body"] and "张三" not in mail["body"]
    assert f"ogi case show {a}" in mail["body"] and due in mail["body"]
    assert "答复期限（条例第三十三条）" in mail["body"]
    post = next(p for p in robot.posts if b in p["json"]["text"]["content"])
    assert post["json"]["msgtype"] == "text" and set(post["json"]) == {"msgtype", "text"}
    assert "本提醒已同时发送：王强（wang）、赵律（zhao）" in post["json"]["text"]["content"]
    assert post["content_type"].startswith("application/json")


def test_failing_recipient_is_retried_alone(ogi_sqlite, calendar, monkeypatch, robot):
    from ogi.engine.notify.delivery import send_round

    ogi = ogi_sqlite
    write_config(ogi, monkeypatch, user_webhooks={"li": robot.url("/li"), "wang": robot.url("/wang"),
                                                  "zhao": robot.url("/zhao")})
    robot.refuse.add("/wang")  # wang's robot rejects the message (e.g. keyword check)
    n = accepted_case(ogi, calendar, 1)
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    first = send_round(T0)
    assert first["sent"] == 2 and first["failed"] == 1
    assert "errcode=310000" in first["errors"][0]["error"] and first["errors"][0]["recipients"] == ["wang"]
    robot.refuse.clear()
    # backoff doubles per failed attempt and is capped (60 s, 120 s, ...)
    assert send_round(T0 + dt.timedelta(seconds=59))["due"] == 0
    second = send_round(T0 + dt.timedelta(seconds=61))
    assert second["sent"] == 1 and second["failed"] == 0
    assert len(robot.on("/li")) == 1 and len(robot.on("/zhao")) == 1 and len(robot.on("/wang")) == 2
    assert len(history_actions(ogi, n)) == 3


def test_markdown_robot_and_dingtalk_shape(ogi_sqlite, calendar, monkeypatch, robot):
    from ogi.engine.notify.delivery import send_round

    ogi = ogi_sqlite
    path = write_config(ogi, monkeypatch, webhook=robot.url("/dd"))
    text = path.read_text("utf-8").replace('webhook = "', 'webhook_format = "markdown"\nwebhook_flavor = "dingtalk"\nwebhook = "', 1)
    path.write_text(text, "utf-8")
    n = accepted_case(ogi, calendar, 0, name="某科技有限公司", kind="commercial")
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert send_round(T0)["sent"] == 3
    body = robot.posts[0]["json"]
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"title", "text"}
    assert "今日到期" in body["markdown"]["title"] and n in body["markdown"]["title"]
    assert "某科技有限公司" in body["markdown"]["text"]  # an organisation's name is not masked
    assert f"`ogi case show {n}`" in body["markdown"]["text"]


def test_moved_or_closed_clock_cancels_pending_warning(ogi_sqlite, calendar, monkeypatch, robot):
    from ogi.engine.notify.delivery import send_round

    ogi = ogi_sqlite
    write_config(ogi, monkeypatch, webhook=robot.url("/group"))
    n = accepted_case(ogi, calendar, 1)
    m = accepted_case(ogi, calendar, 2)
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    ogi.ok("case", "extend", n, "--workdays", "5", "--reason", "需调取档案", "--date", AS_OF.isoformat(), user="wang")
    ogi.ok("case", "withdraw", m, "--date", AS_OF.isoformat())
    r = send_round(T0)
    assert r["sent"] == 0 and r["cancelled"] == 4 and robot.posts == []
    rows = {w["case"]: w for w in ogi.json("warnings", "list")}
    assert rows[n]["status"] == "cancelled" and "已变更为" in rows[n]["recipients"][0]["last_error"]
    assert rows[m]["status"] == "cancelled" and "已办结" in rows[m]["recipients"][0]["last_error"]
    # the moved due date is warned again at its own levels
    again = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert [(w["case"], w["level"]) for w in again["warnings"]] == []  # 6 WD away: not yet
    later = ogi.json("warnings", "sweep", "--as-of", shift(calendar, AS_OF, 1).isoformat())
    assert [(w["case"], w["level"]) for w in later["warnings"]] == [(n, "wd5")]


def test_consultation_and_correction_messages_name_their_commands(ogi_sqlite, calendar, monkeypatch, robot):
    from ogi.engine.notify.delivery import send_round

    ogi = ogi_sqlite
    write_config(ogi, monkeypatch, webhook=robot.url("/group"))
    r = received_for(calendar, shift(calendar, AS_OF, 1), 7)  # correction notice due in 1 WD
    n = ogi.register(r.isoformat(), "李四")["number"]
    c = received_for(calendar, shift(calendar, AS_OF, 3), 15)
    m = ogi.register(shift(calendar, c, -2).isoformat(), "王五")["number"]
    ogi.ok("case", "accept", m, "--date", shift(calendar, c, -2).isoformat())
    cid = ogi.json("case", "consult", m, "--party", "某建设公司", "--kind", "third_party", "--date", c.isoformat())["step"]["consultation_no"]
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    send_round(T0)
    texts = {p["json"]["text"]["content"] for p in robot.posts}
    notice = next(t for t in texts if n in t)
    assert f"ogi case request-correction {n} --items" in notice and f"ogi case accept {n}" in notice
    assert "申请人：李*" in notice and "补正告知期限" in notice
    consult = next(t for t in texts if m in t)
    assert f"ogi case consultation-reply {m} --consultation {cid}" in consult and "某建设公司" in consult


def test_digest_orders_each_clerks_cases_by_urgency(ogi_sqlite, calendar, monkeypatch, robot):
    ogi = ogi_sqlite
    write_config(ogi, monkeypatch, user_webhooks={"li": robot.url("/li"), "chen": robot.url("/chen")})
    far = accepted_case(ogi, calendar, 12)
    late = accepted_case(ogi, calendar, -3)
    soon = accepted_case(ogi, calendar, 2)
    r = received_for(calendar, shift(calendar, AS_OF, 1))
    other = ogi.json("case", "register", "--applicant", "赵六", "--applicant-type", "natural", "--channel", "in_person",
                     "--received", r.isoformat(), "--description", "x", "--clerk", "chen")["number"]
    d = ogi.json("warnings", "digest", "--as-of", AS_OF.isoformat())
    by = {c["clerk"]: c for c in d["clerks"]}
    assert [e["case"] for e in by["li"]["cases"]] == [late, soon, far]
    assert by["li"]["overdue"] == 1 and by["li"]["cases"][0]["next"]["level"] == "overdue"
    assert by["li"]["cases"][2]["next"]["level"] is None and by["li"]["cases"][2]["next"]["workdays_left"] == 12
    assert [e["case"] for e in by["chen"]["cases"]] == [other]
    only = ogi.json("warnings", "digest", "--as-of", AS_OF.isoformat(), "--clerk", "chen", "--send")
    assert [c["clerk"] for c in only["clerks"]] == ["chen"] and only["sent"][0]["ok"] is True
    post = robot.on("/chen")[0]["json"]["text"]["content"]
    assert "每日期限汇总" in post and other in post and "赵*" in post and robot.on("/li") == []


def test_transport_seam_with_the_in_repo_fake(ogi_sqlite, calendar, monkeypatch):
    """send_round takes its transports from the caller: the fake records, or fails on demand."""
    from ogi.engine.notify.delivery import send_round
    from ogi.engine.notify.transports import MemoryTransport

    ogi = ogi_sqlite
    write_config(ogi, monkeypatch, smtp_port=free_port())
    accepted_case(ogi, calendar, 3)
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    down = MemoryTransport("email", fail="模拟：邮件服务器不可用")
    r = send_round(T0, transports={"email": down})
    assert r["failed"] == 1 and r["errors"][0]["error"] == "模拟：邮件服务器不可用"
    up = MemoryTransport("email")
    # attempts 1 -> retry after 60 s; nothing before
    assert send_round(T0 + dt.timedelta(seconds=10), transports={"email": up})["due"] == 0
    assert send_round(T0 + dt.timedelta(seconds=60), transports={"email": up})["sent"] == 1
    assert [addr for addr, _ in up.sent] == ["li@example.gov.cn"]


def test_sender_crash_after_claim_resends_once_after_the_lease(ogi_sqlite, calendar, monkeypatch):
    """A sender killed mid-delivery leaves its rows claimed (a 10-minute lease): nobody sends
    them meanwhile, and the first round after the lease delivers each exactly once."""
    from ogi.engine.notify.delivery import send_round
    from ogi.engine.notify.transports import MemoryTransport

    class Crash(BaseException):
        pass

    class Dying(MemoryTransport):
        def send(self, address, message):
            raise Crash()

    ogi = ogi_sqlite
    write_config(ogi, monkeypatch, smtp_port=free_port())
    accepted_case(ogi, calendar, 3)
    accepted_case(ogi, calendar, 2)
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())
    with pytest.raises(Crash):
        send_round(T0, transports={"email": Dying("email")})
    up = MemoryTransport("email")
    first = send_round(T0 + dt.timedelta(minutes=5), transports={"email": up})
    assert first["sent"] == 1 and len(up.sent) == 1  # the other warning was never claimed
    assert send_round(T0 + dt.timedelta(minutes=9), transports={"email": up})["due"] == 0
    assert send_round(T0 + dt.timedelta(minutes=11), transports={"email": up})["sent"] == 1
    assert send_round(T0 + dt.timedelta(days=1), transports={"email": up})["due"] == 0
    assert len(up.sent) == 2 and len({m.subject for _, m in up.sent}) == 2


def test_recipient_without_channel_is_rearmed_when_the_config_gets_one(ogi_sqlite, calendar, monkeypatch, robot):
    from ogi.engine.notify.delivery import send_round

    ogi = ogi_sqlite
    accepted_case(ogi, calendar, 3)
    ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat())  # default config: no mail server, no robot
    assert ogi.json("warnings", "list")[0]["status"] == "undeliverable"
    assert send_round(T0)["due"] == 0
    write_config(ogi, monkeypatch, webhook=robot.url("/group"))
    again = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert again["created"] == 0
    assert send_round(T0)["sent"] == 1 and len(robot.posts) == 1
    row = ogi.json("warnings", "list")[0]
    assert row["status"] == "sent"
    assert {(d["channel"], d["status"]) for d in row["recipients"]} == {("none", "cancelled"), ("webhook", "sent")}
