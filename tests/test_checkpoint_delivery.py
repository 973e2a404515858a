"""The day's checkpoint reaches the legal office (issue 15, item 2): `ogi scheduler run --once`
signs it when the log grew and sends the note by mail (a real aiosmtpd server) and group robot
(a real HTTP server on loopback); `ogi audit checkpoint --send` does it on demand. The note as
received verifies the record with `ogi audit verify --checkpoint`."""
from __future__ import annotations

from legal_support import no_letters, register
from warnings_support import Robot, SmtpServer, write_config


def note_of(body: str) -> str:
    """The checkpoint note: everything after the first blank line, as the office saves it."""
    return body.split("\n\n", 1)[1].rstrip("\n") + "\n"


def test_the_daemon_sends_the_days_checkpoint(ogi_sqlite, monkeypatch, tmp_path):
    ogi = ogi_sqlite
    no_letters(monkeypatch)
    smtp, robot = SmtpServer().start(), Robot().start()
    try:
        write_config(ogi, monkeypatch, smtp_port=smtp.port, user_webhooks={"zhao": robot.url("/zhao")})
        ogi.ok("audit", "key", user="admin")
        register(ogi, "2026-09-24")
        ogi.ok("scheduler", "run", "--once", user="admin")
        [mail] = [m for m in smtp.messages if "日志检查点" in m["subject"]]
        assert mail["to"] == ["zhao@example.gov.cn"] and "ogi audit verify --checkpoint" in mail["body"]
        def checkpoint_posts():  # zhao also gets the overdue warnings (legal_office escalation)
            return [p for p in robot.on("/zhao") if "日志检查点" in str(p["json"])]

        assert len(checkpoint_posts()) == 1
        cp = tmp_path / "received.txt"
        cp.write_text(note_of(mail["body"]), encoding="utf-8")
        register(ogi, "2026-09-25", "李四")
        assert ogi("audit", "verify", "--checkpoint", str(cp), user="zhao").exit_code == 0
        # Once a day: a second round the same day signs and sends nothing new.
        ogi.ok("scheduler", "run", "--once", user="admin")
        assert len([m for m in smtp.messages if "日志检查点" in m["subject"]]) == 1 and len(checkpoint_posts()) == 1
    finally:
        smtp.stop()
        robot.stop()


def test_on_demand_send_and_a_failed_channel(ogi_sqlite, monkeypatch):
    ogi = ogi_sqlite
    no_letters(monkeypatch)
    robot = Robot(refuse={"/zhao"}).start()
    try:
        write_config(ogi, monkeypatch, user_webhooks={"zhao": robot.url("/zhao")})
        ogi.ok("audit", "key", user="admin")
        register(ogi, "2026-09-24")
        r = ogi("audit", "checkpoint", "--send", user="admin")
        assert r.exit_code == 1 and "发送给 zhao（webhook）：失败" in r.stdout and "Traceback" not in r.stderr
        robot.refuse.clear()
        r = ogi("audit", "checkpoint", "--send", "--json", user="admin")
        assert r.exit_code == 0 and r.json["sent"] == [{"user": "zhao", "channel": "webhook", "ok": True, "error": None}]
        assert r.json["note"].strip() in str(robot.on("/zhao")[-1]["json"]).replace("\\n", "\n")
    finally:
        robot.stop()
