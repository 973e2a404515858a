"""The network edge: how a composed Message reaches a person, behind the `Transport` seam.

SmtpTransport (mail), WebhookTransport (企业微信 / 钉钉 group robots) and MemoryTransport (the
in-repo fake for tests); default_transports() builds the real ones from ChannelSettings. A
failed send raises DeliveryError, with `connection=True` when the server could not be reached
at all. The only module of engine/notify that imports smtplib, ssl, email or urllib, so the
robot-address helpers (is_robot_url, mask_address) live here too.

Time limits: socket timeouts are per operation, so a server that accepts and then drips a byte
now and then would hold a send (and the daemon) for ever. Every delivery therefore runs under a
`Deadline` of the configured timeout (timeout_seconds, webhook_timeout_seconds) in all: the
sockets it opens are adopted, and when the time is up, or the `cancel` event is set (the daemon
is stopping), a watcher thread shuts them down, which ends any blocked read or write at once.
"""
from __future__ import annotations

import http.client
import json
import os
import smtplib
import socket
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import TYPE_CHECKING, Protocol

from ...errors import DeliveryError, os_reason
from .policy import Message, robot_payload

if TYPE_CHECKING:
    from .settings import ChannelSettings, SmtpSettings

CANCEL_POLL_SECONDS = 0.1  # how soon a delivery in progress notices that the daemon is stopping


class Transport(Protocol):
    """The seam between the outbox and the network. `send` raises DeliveryError."""

    channel: str

    def send(self, address: str, message: Message) -> None: ...

    def close(self) -> None: ...


def _oserror_text(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "连接被拒绝，服务未启动或端口不对"
    if isinstance(exc, TimeoutError) or "timed out" in str(exc):
        return "连接超时"
    if isinstance(exc, OSError) and (exc.errno or exc.strerror):
        return os_reason(exc)
    return str(exc)[:200] or type(exc).__name__


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Sockets:
    """The sockets a transport opened, each held as a duplicate of its descriptor (the same
    socket, a descriptor of our own, closed by `release`): shutting the duplicate down ends a
    read or write blocked on the socket, whoever holds it (smtplib, http.client, an SSL layer)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._dups: list[socket.socket] = []

    def add(self, sock: socket.socket) -> socket.socket:
        dup = socket.socket(fileno=os.dup(sock.fileno()))
        self._dups.append(dup)  # under self.lock (Deadline.connect)
        return dup

    def shut_all(self) -> None:
        for dup in self._dups:  # under self.lock (Deadline._trip)
            _shut(dup)

    def release(self) -> None:
        with self.lock:
            dups, self._dups = self._dups, []
        for dup in dups:
            dup.close()


class Deadline:
    """One delivery's overall time limit (`with Deadline(seconds, sockets, cancel) as dl:`).

    Connections are opened by `connect` (within what is left of the time, and adopted into
    `sockets`); a watcher thread shuts them down when the time is up (`expired`) or `cancel` is
    set (`cancelled`). After the block, `tripped` says whether either happened: whatever the
    send raised or returned is then not to be trusted."""

    def __init__(self, seconds: float, sockets: _Sockets, cancel: threading.Event | None = None):
        self.seconds, self.sockets, self.cancel = seconds, sockets, cancel
        self.end = time.monotonic() + seconds
        self.expired = self.cancelled = False
        self._done = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def tripped(self) -> bool:
        return self.expired or self.cancelled

    def remaining(self) -> float:
        return max(0.0, self.end - time.monotonic())

    def __enter__(self) -> "Deadline":
        self._watcher = threading.Thread(target=self._watch, name="ogi-delivery-deadline", daemon=True)
        self._watcher.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._watcher.join()

    def _watch(self) -> None:
        while True:
            if self.cancel is not None and self.cancel.is_set():
                self._trip(cancelled=True)
                return
            left = self.end - time.monotonic()
            if left <= 0:
                self._trip(cancelled=False)
                return
            if self._done.wait(left if self.cancel is None else min(left, CANCEL_POLL_SECONDS)):
                return

    def _trip(self, *, cancelled: bool) -> None:
        with self.sockets.lock:
            if cancelled:
                self.cancelled = True
            else:
                self.expired = True
            self.sockets.shut_all()

    def connect(self, address, timeout=None, source_address=None) -> socket.socket:
        """socket.create_connection within the time left (and at most `timeout` per operation),
        the socket adopted: shut down with the others when the deadline trips."""
        left = self.remaining()
        if self.tripped or left <= 0:
            raise TimeoutError("timed out")
        per_op = min(timeout, left) if isinstance(timeout, (int, float)) and timeout > 0 else left
        sock = socket.create_connection(address, per_op, source_address)
        with self.sockets.lock:
            dup = self.sockets.add(sock)
            if self.tripped:
                _shut(dup)
        return sock


class _Smtp(smtplib.SMTP):
    """smtplib.SMTP whose connection is opened by the delivery's Deadline."""

    def __init__(self, deadline: Deadline, *args, **kwargs):
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        return self._deadline.connect((host, port), timeout, self.source_address)


class _SmtpSsl(smtplib.SMTP_SSL):
    """smtplib.SMTP_SSL whose connection is opened by the delivery's Deadline (the TLS
    handshake on top of it included)."""

    def __init__(self, deadline: Deadline, *args, **kwargs):
        self._deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host, port, timeout):
        sock = self._deadline.connect((host, port), timeout, self.source_address)
        return self.context.wrap_socket(sock, server_hostname=self._host)


def _guarded_connection(base: type, deadline: Deadline) -> type:
    """An http.client connection class whose sockets are opened by `deadline`."""

    class Guarded(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = deadline.connect

    return Guarded


class _UnderDeadline:
    """urllib's handlers, opening their connections under one Deadline."""

    def __init__(self, deadline: Deadline):
        super().__init__()
        self._deadline = deadline

    def do_open(self, http_class, req, **kwargs):
        return super().do_open(_guarded_connection(http_class, self._deadline), req, **kwargs)


class _GuardedHttp(_UnderDeadline, urllib.request.HTTPHandler):
    pass


class _GuardedHttps(_UnderDeadline, urllib.request.HTTPSHandler):
    pass


class SmtpTransport:
    """SMTP mail; one connection per round, reopened once if the server dropped it. Each
    message (connecting and logging in included) has `timeout_seconds` in all (Deadline)."""

    channel = "email"

    def __init__(self, settings: SmtpSettings, cancel: threading.Event | None = None):
        self.settings = settings
        self.cancel = cancel
        self._conn: smtplib.SMTP | None = None
        self._sockets = _Sockets()

    def _connect(self, dl: Deadline) -> smtplib.SMTP:
        st = self.settings
        conn = None
        try:
            if st.ssl:
                conn = _SmtpSsl(dl, st.host, st.port, timeout=st.timeout, context=ssl.create_default_context())
            else:
                conn = _Smtp(dl, st.host, st.port, timeout=st.timeout)
                if st.starttls:
                    conn.starttls(context=ssl.create_default_context())
        except (OSError, smtplib.SMTPException) as exc:
            if conn is not None:
                _close_quietly(conn)
            self._drop()
            raise DeliveryError(f"无法连接邮件服务器 {st.where}（{_oserror_text(exc)}）", connection=True) from None
        if st.username:
            try:
                conn.login(st.username, st.password)
            except smtplib.SMTPAuthenticationError:
                _close_quietly(conn)
                self._drop()
                raise DeliveryError(f"邮件服务器 {st.where} 登录失败：请检查 [warnings.smtp] username / password",
                                    connection=True) from None
            except (OSError, smtplib.SMTPException) as exc:
                _close_quietly(conn)
                self._drop()
                raise DeliveryError(f"邮件服务器 {st.where} 登录出错（{_oserror_text(exc)}）", connection=True) from None
        return conn

    def _email(self, address: str, message: Message) -> EmailMessage:
        em = EmailMessage()
        em["Subject"] = message.subject
        em["From"] = self.settings.sender
        em["To"] = address
        em["Date"] = formatdate(localtime=True)
        em["Message-ID"] = make_msgid(domain=self.settings.sender.rsplit("@", 1)[-1])
        em.set_content(message.text, charset="utf-8", cte="base64")
        return em

    def send(self, address: str, message: Message) -> None:
        em = self._email(address, message)
        sent = False
        with Deadline(self.settings.timeout, self._sockets, self.cancel) as dl:
            try:
                self._send(address, em, dl)
                sent = True  # the server accepted the message
            except DeliveryError:
                if not dl.tripped:
                    raise
        if dl.tripped:  # cut off: the connection is gone, and whatever failed last is not the reason
            self._drop()
            if sent:
                return
            where = self.settings.where
            if dl.cancelled:
                raise DeliveryError(f"守护进程正在停止，向邮件服务器 {where} 的发送已中断", connection=True)
            raise DeliveryError(f"邮件服务器 {where} 在 {self.settings.timeout:g} 秒内未完成投递（响应过慢或连接超时），"
                                "已中断", connection=True)

    def _send(self, address: str, em: EmailMessage, dl: Deadline) -> None:
        for attempt in (1, 2):
            fresh = self._conn is None
            if fresh:
                self._conn = self._connect(dl)
            try:
                self._conn.send_message(em)
                return
            except smtplib.SMTPServerDisconnected:
                self._drop()
                if fresh or attempt == 2 or dl.tripped:
                    raise DeliveryError(f"邮件服务器 {self.settings.where} 断开了连接", connection=True) from None
            except smtplib.SMTPRecipientsRefused:
                raise DeliveryError(f"邮件服务器拒收收件人 {address}：请检查该用户的 email 配置") from None
            except smtplib.SMTPResponseException as exc:
                msg = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
                raise DeliveryError(f"邮件服务器 {self.settings.where} 拒绝投递（{exc.smtp_code} {msg[:120]}）") from None
            except (OSError, smtplib.SMTPException) as exc:
                self._drop()
                raise DeliveryError(f"向邮件服务器 {self.settings.where} 发送失败（{_oserror_text(exc)}）",
                                    connection=True) from None

    def _drop(self) -> None:
        """Close the connection without a word to the server (it failed, or ran out of time)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            _close_quietly(conn)
        self._sockets.release()

    def close(self) -> None:
        """End of the round: QUIT politely, within the timeout too; not when the daemon stops."""
        conn = self._conn
        if conn is not None and not (self.cancel is not None and self.cancel.is_set()):
            with Deadline(self.settings.timeout, self._sockets, self.cancel):
                try:
                    conn.quit()
                except (OSError, smtplib.SMTPException):
                    pass
        self._drop()


def _close_quietly(conn: smtplib.SMTP) -> None:
    try:
        conn.close()
    except OSError:
        pass


_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class WebhookTransport:
    """POST JSON to a 企业微信 / 钉钉 group robot; both answer {"errcode": 0, "errmsg": "ok"}.
    Each post (connecting, redirects and the answer included) has `timeout` seconds in all."""

    channel = "webhook"

    def __init__(self, fmt: str = "text", flavor: str = "wecom", timeout: float = 10.0,
                 cancel: threading.Event | None = None):
        self.fmt, self.flavor, self.timeout, self.cancel = fmt, flavor, timeout, cancel

    def send(self, address: str, message: Message) -> None:
        body = json.dumps(robot_payload(message, self.fmt, self.flavor), ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(address, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        host = urllib.parse.urlsplit(address).hostname or "?"
        sockets = _Sockets()
        try:
            with Deadline(self.timeout, sockets, self.cancel) as dl:
                error = self._post(req, host, dl)
        finally:
            sockets.release()
        if dl.tripped:  # cut off: a partial answer is no answer
            if dl.cancelled:
                raise DeliveryError(f"守护进程正在停止，向提醒机器人 {host} 的发送已中断", connection=True)
            raise DeliveryError(f"提醒机器人 {host} 在 {self.timeout:g} 秒内未完成应答（响应过慢或连接超时），已中断",
                                connection=True)
        if error is not None:
            raise error

    def _post(self, req: urllib.request.Request, host: str, dl: Deadline) -> DeliveryError | None:
        """The robot's refusal or the failure, as the DeliveryError to raise (None: accepted)."""
        handlers = [_GuardedHttp(dl), _GuardedHttps(dl)]
        # A loopback robot (tests, a local relay) must not go through an HTTP proxy from the env.
        if host in _LOOPBACK:
            handlers.append(urllib.request.ProxyHandler({}))
        opener = urllib.request.build_opener(*handlers)
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                answer = resp.read(65536)
        except urllib.error.HTTPError as exc:
            return DeliveryError(f"提醒机器人 {host} 返回 HTTP {exc.code}", connection=exc.code >= 500)
        except urllib.error.URLError as exc:
            return DeliveryError(f"无法连接提醒机器人 {host}（{_oserror_text(exc.reason)}）", connection=True)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            return DeliveryError(f"无法连接提醒机器人 {host}（{_oserror_text(exc)}）", connection=True)
        try:
            data = json.loads(answer.decode("utf-8")) if answer.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = {}
        if isinstance(data, dict) and data.get("errcode") not in (None, 0):
            return DeliveryError(f"提醒机器人 {host} 拒收（errcode={data.get('errcode')} {str(data.get('errmsg', ''))[:100]}）")
        return None

    def close(self) -> None:
        pass


class MemoryTransport:
    """In-repo fake (like httpx's MockTransport): records messages, or fails on demand."""

    def __init__(self, channel: str, fail: str | None = None):
        self.channel, self.fail = channel, fail
        self.sent: list[tuple[str, Message]] = []

    def send(self, address: str, message: Message) -> None:
        if self.fail:
            raise DeliveryError(self.fail, connection=True)
        self.sent.append((address, message))

    def close(self) -> None:
        pass


def default_transports(ch: ChannelSettings, cancel: threading.Event | None = None) -> dict[str, Transport]:
    """The real transports; `cancel` (the daemon's stop event) cuts a delivery in progress short."""
    out: dict[str, Transport] = {"webhook": WebhookTransport(ch.webhook_format, ch.webhook_flavor, ch.webhook_timeout,
                                                             cancel)}
    if ch.smtp is not None:
        out["email"] = SmtpTransport(ch.smtp, cancel)
    return out


# =========================================================================== addresses

def is_robot_url(url: str) -> bool:
    """An http:// or https:// address with a host: something a WebhookTransport can POST to."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def mask_address(channel: str, address: str) -> str:
    """Robot URLs carry their secret key: keep only scheme and host."""
    if channel == "webhook":
        p = urllib.parse.urlsplit(address)
        return f"{p.scheme}://{p.netloc}/…"
    return address
