"""Helpers for tests/test_warnings_*.py: a real SMTP server (aiosmtpd) and a real group-robot
HTTP server (http.server in a thread) on loopback, config files that point at them, and
cases seeded at chosen working-day distances from their deadlines."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----------------------------------------------------------------------------- SMTP

class _Handler:
    def __init__(self, box: list):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.box.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos), "subject": str(msg["Subject"]),
                         "body": msg.get_content()})
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1:port; start() / stop() may be called repeatedly (down, then back)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[dict] = []
        self._controller = None

    def start(self) -> "SmtpServer":
        from aiosmtpd.controller import Controller

        self._controller = Controller(_Handler(self.messages), hostname="127.0.0.1", port=self.port,
                                      ready_timeout=10)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


# ----------------------------------------------------------------------------- robot

@dataclass
class Robot:
    """A 企业微信/钉钉-style group robot: POST JSON, answer {"errcode": 0, "errmsg": "ok"}.
    Paths in `refuse` answer errcode 310000 (like a robot whose keyword check fails)."""

    posts: list = field(default_factory=list)
    refuse: set = field(default_factory=set)

    def start(self) -> "Robot":
        robot = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                robot.posts.append({"path": self.path, "json": json.loads(body.decode("utf-8")),
                                    "content_type": self.headers.get("Content-Type")})
                if self.path in robot.refuse:
                    answer = {"errcode": 310000, "errmsg": "keywords not in content"}
                else:
                    answer = {"errcode": 0, "errmsg": "ok"}
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def url(self, path: str = "/robot") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def on(self, path: str) -> list:
        return [p for p in self.posts if p["path"] == path]


# ----------------------------------------------------------------------------- config

def write_config(ogi, monkeypatch, *, smtp_port: int | None = None, webhook: str | None = None,
                 user_webhooks: dict[str, str] | None = None, extra: str = "") -> Path:
    """A config file (default config plus delivery keys) under a fresh name: the config cache is
    keyed by path and mtime, so a new path is always read."""
    from ogi.engine.config import TRAINING_CONFIG

    text = TRAINING_CONFIG  # declared users (--as, OGI_USER): a test instance
    for login, url in (user_webhooks or {}).items():
        head = f"[users.{login}]\n"
        assert head in text
        text = text.replace(head, f'{head}webhook = "{url}"\n')
    anchor = 'legal_office = ["zhao"]\n'
    assert anchor in text
    keys = "retry_base_seconds = 60\nretry_cap_seconds = 3600\n"  # keys of [warnings] go after its last line
    if webhook:
        keys += f'webhook = "{webhook}"\n'
    text = text.replace(anchor, anchor + keys)
    text += extra  # sub-tables ([warnings.smtp]) may come last
    if smtp_port:
        text += f'\n[warnings.smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsender = "ogi@example.gov.cn"\ntimeout_seconds = 5\n'
    n = len(list(ogi.home.glob("test-*.toml")))
    path = ogi.home / f"test-{n}.toml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv("OGI_CONFIG", str(path))
    return path


# ----------------------------------------------------------------------------- seeding

def received_for(cal, due: dt.date, workdays: int = 20) -> dt.date:
    """A receipt day whose `workdays`-th working day after is `due` (a working day)."""
    d = due
    while True:
        d -= dt.timedelta(days=1)
        if cal.add(d, workdays) == due:
            return d


def shift(cal, day: dt.date, k: int) -> dt.date:
    """The k-th working day after (k > 0) or before (k < 0) `day`; k == 0 is `day`."""
    if k >= 0:
        return cal.add(day, k)
    d, left = day, -k
    while left:
        d -= dt.timedelta(days=1)
        if cal.is_workday(d):
            left -= 1
    return d


def outbox_keys(ogi) -> set[tuple]:
    return {(w["case"], w["clock"], w["level"], w["due_on"]) for w in ogi.json("warnings", "list", "--limit", "100000")}
