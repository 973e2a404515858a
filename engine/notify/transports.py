"""The network edge: how a composed Message reaches a person, behind the `Transport` seam.

SmtpTransport (mail), WebhookTransport (企业微信 / 钉钉 group robots) and MemoryTransport (the
in-repo fake for tests); default_transports() builds the real ones from ChannelSettings. A
failed send raises DeliveryError, with `connection=True` when the server could not be reached
at all. The only module of engine/notify that imports smtplib, ssl, email or urllib, so the
robot-address helpers (is_robot_url, mask_address) live here too.
"""
from __future__ import annotations

import json
import smtplib
import ssl
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


class SmtpTransport:
    """SMTP mail; one connection per round, reopened once if the server dropped it."""

    channel = "email"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        st = self.settings
        try:
            if st.ssl:
                conn = smtplib.SMTP_SSL(st.host, st.port, timeout=st.timeout, context=ssl.create_default_context())
            else:
                conn = smtplib.SMTP(st.host, st.port, timeout=st.timeout)
                if st.starttls:
                    conn.starttls(context=ssl.create_default_context())
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"无法连接邮件服务器 {st.where}（{_oserror_text(exc)}）", connection=True) from None
        if st.username:
            try:
                conn.login(st.username, st.password)
            except smtplib.SMTPAuthenticationError:
                conn.close()
                raise DeliveryError(f"邮件服务器 {st.where} 登录失败：请检查 [warnings.smtp] username / password",
                                    connection=True) from None
            except (OSError, smtplib.SMTPException) as exc:
                conn.close()
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
        for attempt in (1, 2):
            fresh = self._conn is None
            if fresh:
                self._conn = self._connect()
            try:
                self._conn.send_message(em)
                return
            except smtplib.SMTPServerDisconnected:
                self.close()
                if fresh or attempt == 2:
                    raise DeliveryError(f"邮件服务器 {self.settings.where} 断开了连接", connection=True) from None
            except smtplib.SMTPRecipientsRefused:
                raise DeliveryError(f"邮件服务器拒收收件人 {address}：请检查该用户的 email 配置") from None
            except smtplib.SMTPResponseException as exc:
                msg = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
                raise DeliveryError(f"邮件服务器 {self.settings.where} 拒绝投递（{exc.smtp_code} {msg[:120]}）") from None
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                raise DeliveryError(f"向邮件服务器 {self.settings.where} 发送失败（{_oserror_text(exc)}）",
                                    connection=True) from None

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                try:
                    conn.close()
                except OSError:
                    pass


_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


class WebhookTransport:
    """POST JSON to a 企业微信 / 钉钉 group robot; both answer {"errcode": 0, "errmsg": "ok"}."""

    channel = "webhook"

    def __init__(self, fmt: str = "text", flavor: str = "wecom", timeout: float = 10.0):
        self.fmt, self.flavor, self.timeout = fmt, flavor, timeout

    def send(self, address: str, message: Message) -> None:
        body = json.dumps(robot_payload(message, self.fmt, self.flavor), ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(address, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
        host = urllib.parse.urlsplit(address).hostname or "?"
        # A loopback robot (tests, a local relay) must not go through an HTTP proxy from the env.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({})) if host in _LOOPBACK \
            else urllib.request.build_opener()
        try:
            with opener.open(req, timeout=self.timeout) as resp:
                answer = resp.read(65536)
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"提醒机器人 {host} 返回 HTTP {exc.code}", connection=exc.code >= 500) from None
        except urllib.error.URLError as exc:
            raise DeliveryError(f"无法连接提醒机器人 {host}（{_oserror_text(exc.reason)}）", connection=True) from None
        except (OSError, ValueError) as exc:
            raise DeliveryError(f"无法连接提醒机器人 {host}（{_oserror_text(exc)}）", connection=True) from None
        try:
            data = json.loads(answer.decode("utf-8")) if answer.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = {}
        if isinstance(data, dict) and data.get("errcode") not in (None, 0):
            raise DeliveryError(f"提醒机器人 {host} 拒收（errcode={data.get('errcode')} {str(data.get('errmsg', ''))[:100]}）")

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


def default_transports(ch: ChannelSettings) -> dict[str, Transport]:
    out: dict[str, Transport] = {"webhook": WebhookTransport(ch.webhook_format, ch.webhook_flavor, ch.webhook_timeout)}
    if ch.smtp is not None:
        out["email"] = SmtpTransport(ch.smtp)
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
