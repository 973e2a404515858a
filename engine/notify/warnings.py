"""Deadline warnings: a sweep writes them into an outbox, senders deliver them (DESIGN.md, Warnings).

    sweep(as_of)        open clocks due within the thresholds -> one row per
                        (case, clock, level, due date) in `warning_outbox` (insert-or-ignore:
                        reruns, crashes and concurrent sweeps never duplicate), plus one
                        `warning_delivery` row per recipient and channel
    send_round(now)     delivers the due deliveries through a `Transport` (SMTP mail, group-robot
                        webhook), marks them sent and records `warning_sent` in the case history;
                        a failure is retried with capped exponential backoff, never dropped

Levels. With thresholds (5, 3, 1) the levels are wd5, wd3, wd1, due_today, overdue. A sweep
gives each running clock the single most urgent level it has reached: the smallest threshold
t with (working days left) <= t. A clock first seen 2 working days before its due date gets
wd3 only, never a late wd5 as well; a clock seen daily climbs wd5 -> wd3 -> wd1 -> due_today
-> overdue, one warning per level. A moved due date (extension, correction restart, pause)
is a new key and so re-arms every level; a paused or closed clock is not running and warns
nobody, and a warning whose clock moved or stopped before it could be sent is cancelled.

Pure parts (level selection, recipients, message text, backoff) are plain functions; I/O sits
at the edges: the database in sweep/send_round, the network behind `Transport`.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import smtplib
import ssl
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Iterable, Optional, Protocol

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint, or_, select, update
from sqlmodel import Field, SQLModel

from ...states.vocabulary import CLOCK_LABELS, clock_short
from ..config import Config, ConfigError, load_config
from ...errors import OgiError
from ..cases.history import SHANGHAI, now_shanghai

LEVEL_DUE_TODAY = "due_today"
LEVEL_OVERDUE = "overdue"
SYSTEM_ACTOR = "system"
CHANNELS = ("email", "webhook")
# delivery status: pending (not tried yet) | failed (last try failed, retried at next_attempt_at)
# | sent | cancelled (the clock moved, paused or closed first) | no_address (nowhere to send)
OPEN_STATUSES = ("pending", "failed")
CLAIM_LEASE = dt.timedelta(minutes=10)  # a crashed sender's claim expires after this (at-least-once)
CHUNK = 500

_WEEKDAYS = "一二三四五六日"


class AlreadyRunning(OgiError):
    code = "already_running"


# =========================================================================== settings

@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = ""
    starttls: bool = False
    ssl: bool = False
    username: str = ""
    password: str = ""
    timeout: float = 10.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class ChannelSettings:
    """What the config says about delivering warnings ([warnings], [warnings.smtp])."""

    thresholds: tuple[int, ...] = (5, 3, 1)
    escalate_from: int = 1
    supervisors: tuple[str, ...] = ()
    legal_office: tuple[str, ...] = ()
    smtp: Optional[SmtpSettings] = None
    webhook: str = ""              # default group robot for users without their own
    webhook_format: str = "text"   # text | markdown
    webhook_flavor: str = "wecom"  # wecom (企业微信) | dingtalk (钉钉): markdown bodies differ
    webhook_timeout: float = 10.0
    interval_minutes: int = 30
    retry_base_seconds: int = 60
    retry_cap_seconds: int = 3600


def _cfg_type(value, kind, where: str):
    names = {str: "文字", int: "整数", bool: "true 或 false", list: "列表", dict: "表"}
    ok = isinstance(value, kind) and not (kind in (int, float) and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise ConfigError(f"配置项 {where} 应为{names.get(kind, '数字')}，实际为“{value}”：请修改配置文件")
    return value


def _check_url(url: str, where: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"配置项 {where} 应为 http:// 或 https:// 开头的机器人地址，实际为“{url[:60]}”")
    return url


def channel_settings(cfg: Config) -> ChannelSettings:
    """Parse the delivery keys from `cfg.warnings.raw`; every mistake is a one-line ConfigError."""
    w = cfg.warnings
    raw = w.raw or {}
    thresholds = tuple(sorted(set(w.thresholds_workdays), reverse=True))
    if not thresholds or any(t < 1 or t > 60 for t in thresholds):
        raise ConfigError("配置项 warnings.thresholds_workdays 应为 1 到 60 之间的工作日数列表，例如 [5, 3, 1]")
    for key in ("supervisors", "legal_office"):
        for login in getattr(w, key):
            if not isinstance(login, str) or login not in cfg.users:
                raise ConfigError(f"配置项 warnings.{key} 中的用户“{login}”未在 [users] 中登记：请先登记或删去")
    smtp = None
    s = _cfg_type(raw.get("smtp", {}), dict, "[warnings.smtp]")
    if s:
        host = _cfg_type(s.get("host", ""), str, "warnings.smtp.host").strip()
        if not host:
            raise ConfigError("配置项 [warnings.smtp] 缺少 host（邮件服务器地址）；不用邮件提醒时请删去整个 [warnings.smtp] 表")
        use_ssl = _cfg_type(s.get("ssl", False), bool, "warnings.smtp.ssl")
        port = _cfg_type(s.get("port", 465 if use_ssl else 25), int, "warnings.smtp.port")
        if not 1 <= port <= 65535:
            raise ConfigError(f"配置项 warnings.smtp.port 应在 1 到 65535 之间，实际为 {port}")
        sender = _cfg_type(s.get("sender", ""), str, "warnings.smtp.sender").strip()
        if "@" not in sender:
            raise ConfigError("配置项 warnings.smtp.sender 应为发件邮箱地址，例如 ogi@example.gov.cn")
        password = _cfg_type(s.get("password", ""), str, "warnings.smtp.password")
        env = _cfg_type(s.get("password_env", ""), str, "warnings.smtp.password_env")
        if env:
            if env not in os.environ:
                raise ConfigError(f"配置项 warnings.smtp.password_env 指定的环境变量 {env} 未设置：请在服务的环境中设置邮箱密码")
            password = os.environ[env]
        starttls = _cfg_type(s.get("starttls", False), bool, "warnings.smtp.starttls")
        if starttls and use_ssl:
            raise ConfigError("配置项 warnings.smtp.starttls 与 warnings.smtp.ssl 只能选一个")
        smtp = SmtpSettings(
            host=host, port=port, sender=sender, starttls=starttls, ssl=use_ssl,
            username=_cfg_type(s.get("username", ""), str, "warnings.smtp.username"), password=password,
            timeout=float(_cfg_type(s.get("timeout_seconds", 10), float, "warnings.smtp.timeout_seconds")))
    webhook = _cfg_type(raw.get("webhook", ""), str, "warnings.webhook").strip()
    if webhook:
        _check_url(webhook, "warnings.webhook")
    for u in cfg.users.values():
        if u.webhook:
            _check_url(u.webhook, f"users.{u.login}.webhook")
    fmt = _cfg_type(raw.get("webhook_format", "text"), str, "warnings.webhook_format")
    if fmt not in ("text", "markdown"):
        raise ConfigError("配置项 warnings.webhook_format 只能是 text 或 markdown")
    flavor = _cfg_type(raw.get("webhook_flavor", "wecom"), str, "warnings.webhook_flavor")
    if flavor not in ("wecom", "dingtalk"):
        raise ConfigError("配置项 warnings.webhook_flavor 只能是 wecom（企业微信）或 dingtalk（钉钉）")
    interval = _cfg_type(raw.get("interval_minutes", 30), int, "warnings.interval_minutes")
    if not 1 <= interval <= 1440:
        raise ConfigError("配置项 warnings.interval_minutes 应在 1 到 1440 分钟之间")
    base = _cfg_type(raw.get("retry_base_seconds", 60), int, "warnings.retry_base_seconds")
    cap = _cfg_type(raw.get("retry_cap_seconds", 3600), int, "warnings.retry_cap_seconds")
    if not 1 <= base <= cap:
        raise ConfigError("配置项 warnings.retry_base_seconds 应至少为 1 且不大于 warnings.retry_cap_seconds")
    return ChannelSettings(
        thresholds=thresholds, escalate_from=w.escalate_from_workdays, supervisors=tuple(w.supervisors),
        legal_office=tuple(w.legal_office), smtp=smtp, webhook=webhook, webhook_format=fmt, webhook_flavor=flavor,
        webhook_timeout=float(_cfg_type(raw.get("webhook_timeout_seconds", 10), float, "warnings.webhook_timeout_seconds")),
        interval_minutes=interval, retry_base_seconds=base, retry_cap_seconds=cap)


# =========================================================================== pure logic

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
    if level == LEVEL_OVERDUE:
        return f"已逾期 {-workdays_left} 个工作日" if workdays_left < 0 else "已逾期"
    if level == LEVEL_DUE_TODAY:
        return "今日到期"
    return f"还剩 {workdays_left} 个工作日"


def next_steps(case_number: str, clock_key: str, level: str) -> list[tuple[str, str]]:
    """(what, command) pairs a clerk runs next for this clock."""
    n = case_number
    base = clock_key.split(":", 1)[0]
    if base == "correction_notice":  # 条例第三十条: one correction notice within 7 WD, else accept
        return [("需要补正的，一次性告知补正", f'ogi case request-correction {n} --items "需补正的事项"'),
                ("无需补正的，予以受理", f"ogi case accept {n}")]
    if base == "correction":
        return [("已收到补正的", f"ogi case receive-correction {n}"),
                ("期满未补正的，视为放弃申请", f"ogi case correction-lapsed {n}")]
    if base == "consultation":
        cid = clock_key.split(":", 1)[1]
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


def _day(d: dt.date) -> str:
    return f"{d.isoformat()}（星期{_WEEKDAYS[d.weekday()]}）"


def compose(v: WarningView) -> Message:
    """The Chinese warning: case number, applicant, which clock, due date, what to run next."""
    left = remaining_text(v.level, v.workdays_left)
    short = clock_short(v.clock)
    subject = f"【期限提醒】案件 {v.case_number} {short}{left}（{v.due_on.isoformat()}）"
    prov = "（暂定：所涉年度尚无国务院节假日安排数据）" if v.provisional else ""
    steps = next_steps(v.case_number, v.clock, v.level)
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


def mask_address(channel: str, address: str) -> str:
    """Robot URLs carry their secret key: keep only scheme and host."""
    if channel == "webhook":
        p = urllib.parse.urlsplit(address)
        return f"{p.scheme}://{p.netloc}/…"
    return address


# =========================================================================== transports

class DeliveryError(Exception):
    """A delivery failed; `connection` = the server could not be reached at all (the round then
    stops trying that server and queues the rest for the next try)."""

    def __init__(self, message: str, *, connection: bool = False):
        super().__init__(message)
        self.message = message
        self.connection = connection


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
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
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


# =========================================================================== tables

class WarningOutbox(SQLModel, table=True):
    """One row per (case, clock, level, due date): the unique key makes the sweep idempotent."""

    __tablename__ = "warning_outbox"
    __table_args__ = (UniqueConstraint("case_id", "clock", "level", "due_on", name="uq_warning_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    clock: str             # correction_notice | correction | answer | consultation:ID | payment
    level: str             # wd5 | wd3 | wd1 | due_today | overdue
    due_on: dt.date
    workdays_left: int     # at the sweep that created it
    as_of: dt.date         # the sweep's day
    provisional: bool = False
    created_at: str = ""   # ISO 8601 +08:00


class WarningDelivery(SQLModel, table=True):
    """Delivery state per recipient and channel: one failing recipient never resends to others."""

    __tablename__ = "warning_delivery"
    __table_args__ = (UniqueConstraint("warning_id", "recipient", "channel", name="uq_warning_delivery"),
                      Index("ix_warning_delivery_due", "status", "next_attempt_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    warning_id: int = Field(foreign_key="warning_outbox.id")
    recipient: str         # login from [users]
    channel: str           # email | webhook | none
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: Optional[dt.datetime] = Field(default=None, sa_column=Column(DateTime, nullable=True))  # UTC
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sent_at: Optional[dt.datetime] = Field(default=None, sa_column=Column(DateTime, nullable=True))  # UTC
    address: str = ""      # where it went (robot URLs masked)


OUTBOX = WarningOutbox.__table__
DELIVERY = WarningDelivery.__table__


def _utc_naive(t: dt.datetime) -> dt.datetime:
    if t.tzinfo is None:
        t = t.replace(tzinfo=SHANGHAI)
    return t.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _from_utc(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.replace(tzinfo=dt.timezone.utc).astimezone(SHANGHAI).isoformat(timespec="seconds")


def _insert_ignore(conn, table, rows: list[dict], keys: list[str], returning=None) -> list:
    """INSERT .. ON CONFLICT DO NOTHING on SQLite and PostgreSQL; with `returning`, the rows
    this statement really inserted (a concurrent sweep's rows are not among them)."""
    if not rows:
        return []
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    out = []
    for i in range(0, len(rows), CHUNK):
        stmt = insert(table).on_conflict_do_nothing(index_elements=keys)
        if returning is not None:
            out += conn.execute(stmt.returning(*returning), rows[i:i + CHUNK]).all()
        else:
            conn.execute(stmt, rows[i:i + CHUNK])
    return out


def _chunks(seq: list, n: int = CHUNK):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


# =========================================================================== facts in bulk

class _Ev:
    __slots__ = ("action", "effective_on", "data", "actor")

    def __init__(self, action, effective_on, data, actor):
        self.action, self.effective_on, self.actor = action, effective_on, actor
        self.data = json.loads(data) if data else {}


def load_facts(conn, case_ids: list[int], cfg: Config) -> dict[int, object]:
    """The replayed facts of many cases with one query per chunk (engine.cases.facts_of, in bulk).
    A case whose history cannot be replayed maps to the exception instead."""
    from ..cases import clocks as clk
    from ..store.tables import HistoryEvent

    h = HistoryEvent.__table__
    actions = sorted(clk.STEP_ACTIONS | {"register"})  # what replay() reads; warning_sent etc. are skipped
    out: dict[int, object] = {}
    for chunk in _chunks(case_ids):
        q = (select(h.c.case_id, h.c.action, h.c.effective_on, h.c.data, h.c.actor)
             .where(h.c.case_id.in_(chunk), h.c.action.in_(actions)).order_by(h.c.case_id, h.c.seq))
        by_case: dict[int, list] = {}
        for cid, action, eff, data, actor in conn.execute(q):
            by_case.setdefault(cid, []).append(_Ev(action, eff, data, actor))
        for cid in chunk:
            try:
                out[cid] = clk.replay(by_case.get(cid, []), **clk.rule_options(cfg.rules))
            except Exception as exc:  # noqa: BLE001 - one broken case must not stop the sweep
                out[cid] = exc
    return out


# =========================================================================== sweep

@dataclass
class Planned:
    case_id: int
    case_number: str
    clerk: str
    clock: str
    clock_label: str
    level: str
    due_on: dt.date
    workdays_left: int
    provisional: bool

    @property
    def key(self) -> tuple:
        return (self.case_id, self.clock, self.level, self.due_on)


def plan_case(case_id: int, number: str, clerk: str, clocks, as_of: dt.date, cal, thresholds) -> list[Planned]:
    """Pure: the warnings one case's running clocks call for on `as_of`."""
    out = []
    for c in clocks:
        if not c.running or c.due is None:
            continue  # a paused or closed clock warns nobody
        left = cal.count(as_of, c.due, allow_provisional=True)
        level = select_level(as_of, c.due, left, thresholds)
        if level:
            out.append(Planned(case_id, number, clerk, c.key, c.label, level, c.due, left, c.provisional))
    return out


def candidate_horizon(as_of: dt.date, cal, thresholds) -> dt.date:
    """Last day a clock can fall due and still be within the largest threshold: every day
    before the (max+1)-th working day after as_of (a due date on a day off included)."""
    return cal.add(as_of, max(thresholds) + 1, allow_provisional=True) - dt.timedelta(days=1)


def sweep(as_of: dt.date, *, cfg: Config | None = None, url: str | None = None) -> dict:
    """Write every warning due on `as_of` into the outbox (idempotent). One read transaction to
    compute, one short write transaction to insert, so clerks are never blocked for long."""
    from ..cases import clocks as clk
    from ..store.calendar_store import load_calendar
    from ..store.db import read_session, write_session
    from ..store.tables import Case

    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    errors: list[dict] = []
    planned: list[Planned] = []
    with read_session(url) as s:
        cal = load_calendar(s)
        horizon = candidate_horizon(as_of, cal, ch.thresholds)
        conn = s.connection()
        t = Case.__table__
        # the cached next_due (earliest running clock) picks candidates on ix_cases_open_due
        # (plain tuples, not Row objects: the collector stops tracking tuples of plain values)
        rows = [(r.id, r.number, r.clerk) for r in conn.execute(
            select(t.c.id, t.c.number, t.c.clerk)
            .where(t.c.closed == False, t.c.next_due.is_not(None), t.c.next_due <= horizon)  # noqa: E712
            .order_by(t.c.id))]
        # One chunk of candidates at a time (load_facts reads 500 a query anyway): memory holds
        # 500 candidates' replayed facts, not every candidate's (40k at 1M cases).
        for chunk in _chunks(rows):
            facts = load_facts(conn, [cid for cid, _, _ in chunk], cfg)
            for cid, number, clerk in chunk:
                f = facts[cid]
                try:
                    if isinstance(f, Exception):
                        raise f
                    planned += plan_case(cid, number, clerk, clk.compute_clocks(f, cal), as_of, cal, ch.thresholds)
                except Exception as exc:  # noqa: BLE001
                    errors.append({"case": number, "error": f"{type(exc).__name__}: {str(exc)[:200]}"})
    created = _write_planned(planned, as_of, cfg, ch, url, write_session)
    new = [p for p in planned if p.key in created]
    unreachable = sorted({(d["recipient"], d["reason"]) for info in created.values() for d in info["no_address"]})
    return {
        "as_of": as_of, "horizon": horizon, "candidates": len(rows), "due": len(planned), "created": len(new),
        "existing": len(planned) - len(new),
        "warnings": [{"id": created[p.key]["id"], "case": p.case_number, "case_id": p.case_id, "clock": p.clock,
                      "clock_label": p.clock_label, "level": p.level, "level_label": level_label(p.level),
                      "due_on": p.due_on, "workdays_left": p.workdays_left, "provisional": p.provisional,
                      "recipients": created[p.key]["recipients"]} for p in new],
        "unreachable": [{"user": u, "reason": why} for u, why in unreachable],
        "errors": errors,
    }


def _write_planned(planned: list[Planned], as_of, cfg: Config, ch: ChannelSettings, url, write_session) -> dict:
    """Insert the planned warnings that are not in the outbox yet, and their deliveries."""
    if not planned:
        return {}
    created: dict[tuple, dict] = {}
    stamp = now_shanghai().isoformat()
    case_ids = sorted({p.case_id for p in planned})
    with write_session(url) as s:
        conn = s.connection()
        existing: dict[tuple, int] = {}
        for chunk in _chunks(case_ids):
            for r in conn.execute(select(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.clock, OUTBOX.c.level, OUTBOX.c.due_on)
                                  .where(OUTBOX.c.case_id.in_(chunk))):
                existing[(r.case_id, r.clock, r.level, r.due_on)] = r.id
        _rearm_unreachable([existing[p.key] for p in planned if p.key in existing], conn, cfg, ch)
        new = [p for p in planned if p.key not in existing]
        if not new:
            return {}
        inserted = _insert_ignore(conn, OUTBOX, [
            {"case_id": p.case_id, "clock": p.clock, "level": p.level, "due_on": p.due_on,
             "workdays_left": p.workdays_left, "as_of": as_of, "provisional": p.provisional, "created_at": stamp}
            for p in new], ["case_id", "clock", "level", "due_on"],
            returning=(OUTBOX.c.id, OUTBOX.c.case_id, OUTBOX.c.clock, OUTBOX.c.level, OUTBOX.c.due_on))
        ids = {(r.case_id, r.clock, r.level, r.due_on): r.id for r in inserted}
        new = [p for p in new if p.key in ids]  # a concurrent sweep inserted the others first
        deliveries = []
        for p in new:
            wid = ids[p.key]
            info = {"id": wid, "recipients": [], "no_address": []}
            for login in recipients_for(p.clerk, p.level, ch):
                user = cfg.users.get(login)
                chans = channels_for(user, ch)
                info["recipients"].append({"user": login, "channels": chans})
                if not chans:
                    why = (f"用户 {login} 未在配置文件中登记" if user is None else
                           f"用户 {login} 没有可用的提醒渠道（未配置 email 与 [warnings.smtp]，也未配置 webhook）")
                    info["no_address"].append({"recipient": login, "reason": why})
                    deliveries.append({"warning_id": wid, "recipient": login, "channel": "none", "status": "no_address",
                                       "attempts": 0, "next_attempt_at": None, "last_error": why, "sent_at": None,
                                       "address": ""})
                for c in chans:
                    deliveries.append({"warning_id": wid, "recipient": login, "channel": c, "status": "pending",
                                       "attempts": 0, "next_attempt_at": None, "last_error": "", "sent_at": None,
                                       "address": ""})
            created[p.key] = info
        _insert_ignore(conn, DELIVERY, deliveries, ["warning_id", "recipient", "channel"])
    return created


def _rearm_unreachable(warning_ids: list[int], conn, cfg: Config, ch: ChannelSettings) -> None:
    """A still-current warning that found a recipient without any channel gets that recipient's
    channels once the config provides them (the `no_address` row is superseded, not lost)."""
    chans_of: dict[str, list[str]] = {}
    stuck: list[tuple[int, int, str]] = []
    for chunk in _chunks(warning_ids):
        # The status is tested here, not in SQL: given `status = ?` as well, SQLite walked
        # ix_warning_delivery_due over every no_address row of the outbox for each chunk
        # (quadratic in the number of warnings); by warning_id it reads a few rows per warning.
        # Only the rows that can be re-armed are kept: while a recipient still has no channel
        # (the usual case) none of its rows is, instead of every no_address row of the outbox.
        for r in conn.execute(select(DELIVERY.c.id, DELIVERY.c.warning_id, DELIVERY.c.recipient, DELIVERY.c.status)
                              .where(DELIVERY.c.warning_id.in_(chunk))):
            if r.status != "no_address":
                continue
            if r.recipient not in chans_of:
                chans_of[r.recipient] = channels_for(cfg.users.get(r.recipient), ch)
            if chans_of[r.recipient]:
                stuck.append((r.id, r.warning_id, r.recipient))
    for delivery_id, warning_id, recipient in stuck:
        chans = chans_of[recipient]
        _insert_ignore(conn, DELIVERY, [
            {"warning_id": warning_id, "recipient": recipient, "channel": c, "status": "pending",
             "attempts": 0, "next_attempt_at": None, "last_error": "", "sent_at": None, "address": ""}
            for c in chans], ["warning_id", "recipient", "channel"])
        conn.execute(update(DELIVERY).where(DELIVERY.c.id == delivery_id).values(
            status="cancelled", last_error=f"已配置提醒渠道，改由 {'、'.join(chans)} 发送"))


# =========================================================================== send

def _address(channel: str, login: str, cfg: Config, ch: ChannelSettings) -> tuple[str, str]:
    """(address, error): resolved from the config at send time, so a fixed config takes effect."""
    user = cfg.users.get(login)
    if user is None:
        return "", f"用户 {login} 已不在配置文件中"
    if channel == "email":
        if ch.smtp is None:
            return "", "未配置邮件服务器：请在配置文件中填写 [warnings.smtp]"
        return (user.email, "") if user.email else ("", f"用户 {login} 未配置 email")
    if channel == "webhook":
        url = user.webhook or ch.webhook
        return (url, "") if url else ("", f"用户 {login} 未配置 webhook，也没有默认机器人 warnings.webhook")
    return "", f"未知的提醒渠道 {channel}"


def _stale_reason(s, cfg: Config, cal, case, w) -> str | None:
    """Why a warning must not go out any more: the case closed, or its clock moved or stopped."""
    from ..cases import clocks as clk
    from ..cases.steps import facts_of

    if case.closed:
        return "案件已办结，提醒取消"
    clocks = {c.key: c for c in clk.compute_clocks(facts_of(s, case.id, cfg), cal)}
    c = clocks.get(w.clock)
    if c is None or not c.running:
        return "该期限已暂停或已结束，提醒取消"
    if c.due != w.due_on:
        return f"该期限已变更为 {c.due}，原提醒取消（新期限另行提醒）"
    return None


def _view(s, cfg: Config, ch: ChannelSettings, case, w) -> WarningView:
    from ...states.machine import STATE_LABELS, CaseState
    from ..cases import clocks as clk
    from ..masking import mask_name
    from ..store.tables import Applicant

    ap = s.get(Applicant, case.applicant_id)

    def who(login: str) -> str:
        u = cfg.users.get(login)
        return f"{u.name}（{login}）" if u else login

    escalated = tuple(who(x) for x in dict.fromkeys(list(ch.supervisors) + list(ch.legal_office))) \
        if escalates(w.level, ch.escalate_from) else ()
    base = w.clock.split(":", 1)[0]
    label = CLOCK_LABELS.get(base, w.clock)
    if base == "consultation":
        from ..store.tables import Consultation

        con = s.get(Consultation, int(w.clock.split(":", 1)[1]))
        if con is not None:
            label = f"{label}：{con.party}"
    return WarningView(case.number, mask_name(ap.name if ap else "", ap.kind if ap else "natural"), w.clock, label,
                       w.level, w.due_on, w.workdays_left, w.as_of, w.provisional,
                       STATE_LABELS.get(CaseState(case.state), case.state), who(case.clerk), escalated)


def send_round(now: dt.datetime | None = None, *, cfg: Config | None = None,
               transports: dict[str, Transport] | None = None, url: str | None = None, batch: int = 500) -> dict:
    """Deliver every due delivery once. `now` is injected (tests, replays); naive = Shanghai time.

    Per (warning, channel, address) group: claim the rows (a lease, so two senders never send
    the same row), drop it if the clock moved or the case closed, send outside any transaction,
    then mark sent and append `warning_sent` to the case history, or record the failure with
    the next try after a capped exponential backoff. If a server cannot be reached at all, the
    rest of its queue in this round fails fast with the same message (no N x timeout).
    """
    from sqlmodel import select as sm_select

    from ..store.calendar_store import load_calendar
    from ..store.db import read_session

    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    now = now or dt.datetime.now(SHANGHAI)
    now_utc = _utc_naive(now)
    own = transports is None
    transports = default_transports(ch) if own else transports
    res = {"now": (now if now.tzinfo else now.replace(tzinfo=SHANGHAI)).isoformat(), "due": 0, "sent": 0,
           "messages": 0, "failed": 0, "cancelled": 0, "errors": []}
    seen: set[int] = set()
    down: dict[tuple, str] = {}
    try:
        with read_session(url) as s:
            cal = load_calendar(s)
        while True:  # batches until nothing is due: every handled row leaves the due set
            with read_session(url) as s:
                rows = [d for d in s.exec(sm_select(WarningDelivery).where(
                    WarningDelivery.status.in_(OPEN_STATUSES),
                    or_(WarningDelivery.next_attempt_at.is_(None), WarningDelivery.next_attempt_at <= now_utc),
                ).order_by(WarningDelivery.id).limit(batch)).all() if d.id not in seen]
            if not rows:
                break
            seen.update(d.id for d in rows)
            res["due"] += len(rows)
            groups: dict[tuple, list] = {}
            for d in rows:
                addr, err = _address(d.channel, d.recipient, cfg, ch)
                if not err and d.channel not in transports:
                    err = f"没有 {d.channel} 发送渠道"
                groups.setdefault((d.warning_id, d.channel, addr, err), []).append(d)
            for (wid, channel, addr, err), ds in groups.items():
                _deliver(wid, channel, addr, err, ds, cfg, ch, cal, transports, down, now, now_utc, url, res)
    finally:
        if own:
            for t in transports.values():
                t.close()
    return res


def _deliver(wid, channel, addr, err, ds, cfg, ch, cal, transports, down, now, now_utc, url, res) -> None:
    from ..cases.steps import append_event, load_case
    from ..store.db import write_session

    ids = [d.id for d in ds]
    with write_session(url) as s:
        conn = s.connection()
        claimed = []
        for i in ids:
            r = conn.execute(update(DELIVERY).where(
                DELIVERY.c.id == i, DELIVERY.c.status.in_(OPEN_STATUSES),
                or_(DELIVERY.c.next_attempt_at.is_(None), DELIVERY.c.next_attempt_at <= now_utc),
            ).values(attempts=DELIVERY.c.attempts + 1, next_attempt_at=now_utc + CLAIM_LEASE))
            if r.rowcount == 1:
                claimed.append(i)
        if not claimed:
            return  # another sender took them
        w = s.get(WarningOutbox, wid)
        case = load_case(s, w.case_id)
        stale = _stale_reason(s, cfg, cal, case, w)
        if stale:
            conn.execute(update(DELIVERY).where(DELIVERY.c.id.in_(claimed))
                         .values(status="cancelled", last_error=stale, next_attempt_at=None))
            res["cancelled"] += len(claimed)
            return
        recipients = [d.recipient for d in ds if d.id in claimed]
        view = _view(s, cfg, ch, case, w)
        attempts = dict(conn.execute(select(DELIVERY.c.id, DELIVERY.c.attempts).where(DELIVERY.c.id.in_(claimed))).all())
        meta = {"case": case.number, "case_id": case.id, "clock": w.clock, "level": w.level, "due_on": w.due_on}
    error = err
    if not error:
        breaker = (channel, None if channel == "email" else addr)
        error = down.get(breaker)
        if not error:
            try:
                transports[channel].send(addr, compose(view))
            except DeliveryError as exc:
                error = exc.message
                if exc.connection:
                    down[breaker] = error
    with write_session(url) as s:
        conn = s.connection()
        if error is None:
            conn.execute(update(DELIVERY).where(DELIVERY.c.id.in_(claimed)).values(
                status="sent", sent_at=now_utc, next_attempt_at=None, last_error="", address=mask_address(channel, addr)))
            load_case(s, meta["case_id"], for_update=True)  # serialise with steps appending to this history
            append_event(s, meta["case_id"], SYSTEM_ACTOR, "warning_sent",
                         (now if now.tzinfo else now.replace(tzinfo=SHANGHAI)).astimezone(SHANGHAI).date(), "",
                         {"warning_id": wid, "clock": meta["clock"], "level": meta["level"], "due_on": meta["due_on"],
                          "channel": channel, "recipients": recipients})
            res["sent"] += len(claimed)
            res["messages"] += 1
            return
        retry_at = None
        for i in claimed:
            n = attempts.get(i, 1)
            retry_at = now_utc + backoff(n, ch.retry_base_seconds, ch.retry_cap_seconds)
            conn.execute(update(DELIVERY).where(DELIVERY.c.id == i).values(
                status="failed", next_attempt_at=retry_at, last_error=error[:500]))
        res["failed"] += len(claimed)
        res["errors"].append({**meta, "warning_id": wid, "channel": channel, "recipients": recipients,
                              "error": error, "next_attempt_at": _from_utc(retry_at)})


# =========================================================================== list

def warning_status(statuses: list[str]) -> str:
    """One word for a warning from its deliveries' states."""
    live = [x for x in statuses if x != "cancelled"]
    if not statuses:
        return "pending"
    if not live:
        return "cancelled"
    if any(x == "failed" for x in live):
        return "failed"
    if any(x == "pending" for x in live):
        return "pending"
    if all(x == "no_address" for x in live):
        return "undeliverable"
    return "sent" if any(x == "sent" for x in live) else "undeliverable"


STATUS_LABELS = {"pending": "待发送", "failed": "发送失败，等待重试", "sent": "已发送", "cancelled": "已取消",
                 "undeliverable": "无法送达（未配置提醒渠道）", "no_address": "无可用渠道"}


def list_warnings(*, status: str | None = None, case: str | None = None, limit: int = 200,
                  url: str | None = None) -> list[dict]:
    """The outbox, newest first, each warning with its deliveries."""
    from ..store.db import read_session
    from ...errors import InputError
    from ..store.tables import Case

    if status and status not in ("pending", "failed", "sent", "cancelled", "undeliverable"):
        raise InputError(f"状态“{status}”不存在；可选：pending、failed、sent、cancelled、undeliverable")
    with read_session(url) as s:
        conn = s.connection()
        t = Case.__table__
        q = select(OUTBOX, t.c.number).join(t, t.c.id == OUTBOX.c.case_id)
        if case:
            from ..cases.steps import load_case

            q = q.where(OUTBOX.c.case_id == load_case(s, case).id)
        rows = conn.execute(q.order_by(OUTBOX.c.id.desc())).all() if status else \
            conn.execute(q.order_by(OUTBOX.c.id.desc()).limit(limit)).all()
        dels: dict[int, list] = {}
        for chunk in _chunks([r.id for r in rows]):
            for d in conn.execute(select(DELIVERY).where(DELIVERY.c.warning_id.in_(chunk)).order_by(DELIVERY.c.id)):
                dels.setdefault(d.warning_id, []).append(d)
    out = []
    for r in rows:
        ds = dels.get(r.id, [])
        st = warning_status([d.status for d in ds])
        if status and st != status:
            continue
        out.append({
            "id": r.id, "case": r.number, "case_id": r.case_id, "clock": r.clock, "clock_label": clock_short(r.clock),
            "level": r.level, "level_label": level_label(r.level), "due_on": r.due_on, "as_of": r.as_of,
            "workdays_left": r.workdays_left, "provisional": r.provisional, "created_at": r.created_at,
            "status": st, "status_label": STATUS_LABELS[st], "sent": st == "sent",
            "recipients": [{"user": d.recipient, "channel": d.channel, "status": d.status, "attempts": d.attempts,
                            "next_attempt_at": _from_utc(d.next_attempt_at), "sent_at": _from_utc(d.sent_at),
                            "address": d.address, "last_error": d.last_error} for d in ds],
        })
        if len(out) >= limit:
            break
    return out


# =========================================================================== digest

def digest(as_of: dt.date, *, clerk: str | None = None, cfg: Config | None = None, url: str | None = None) -> dict:
    """Each clerk's open cases ordered by urgency: overdue first, then by working days left."""
    from ...states.machine import STATE_LABELS, CaseState
    from ..cases import clocks as clk
    from ..store.calendar_store import load_calendar
    from ..store.db import read_session
    from ...errors import InputError
    from ..masking import mask_name
    from ..store.tables import Applicant, Case

    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    if clerk and clerk not in cfg.users:
        raise InputError(f"用户“{clerk}”未在配置文件中登记；已登记：{'、'.join(sorted(cfg.users))}")
    with read_session(url) as s:
        cal = load_calendar(s)
        conn = s.connection()
        t, a = Case.__table__, Applicant.__table__
        q = (select(t.c.id, t.c.number, t.c.clerk, t.c.state, a.c.name, a.c.kind)
             .join(a, a.c.id == t.c.applicant_id).where(t.c.closed == False))  # noqa: E712
        if clerk:
            q = q.where(t.c.clerk == clerk)
        rows = conn.execute(q.order_by(t.c.id)).all()
        facts = load_facts(conn, [r.id for r in rows], cfg)
    by_clerk: dict[str, list] = {}
    far = 10 ** 6
    for r in rows:
        f = facts[r.id]
        entry = {"case": r.number, "case_id": r.id, "applicant": mask_name(r.name, r.kind), "state": r.state,
                 "state_label": STATE_LABELS.get(CaseState(r.state), r.state), "clocks": [], "error": None}
        if isinstance(f, Exception):
            entry["error"] = f"{type(f).__name__}: {str(f)[:200]}"
        else:
            try:
                for c in clk.compute_clocks(f, cal):
                    if not c.running or c.due is None:
                        continue
                    left = cal.count(as_of, c.due, allow_provisional=True)
                    entry["clocks"].append({"clock": c.key, "clock_label": clock_short(c.key), "due_on": c.due,
                                            "workdays_left": left, "level": select_level(as_of, c.due, left, ch.thresholds),
                                            "provisional": c.provisional})
            except Exception as exc:  # noqa: BLE001
                entry["error"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        entry["clocks"].sort(key=lambda c: (c["due_on"], c["clock"]))
        first = entry["clocks"][0] if entry["clocks"] else None
        entry["next"] = first
        entry["_rank"] = (first["due_on"].toordinal() if first else far, r.id)
        by_clerk.setdefault(r.clerk, []).append(entry)
    clerks = []
    for login in sorted(by_clerk):
        cases = sorted(by_clerk[login], key=lambda e: e["_rank"])
        for e in cases:
            e.pop("_rank")
        u = cfg.users.get(login)
        clerks.append({"clerk": login, "name": u.name if u else login, "open_cases": len(cases),
                       "overdue": sum(1 for e in cases if e["next"] and e["next"]["level"] == LEVEL_OVERDUE),
                       "cases": cases})
    if clerk and not clerks:
        u = cfg.users[clerk]
        clerks.append({"clerk": clerk, "name": u.name, "open_cases": 0, "overdue": 0, "cases": []})
    return {"as_of": as_of, "clerks": clerks}


def compose_digest(entry: dict, as_of: dt.date) -> Message:
    """One clerk's daily digest as a message (pure)."""
    name = f"{entry['name']}（{entry['clerk']}）"
    subject = f"【每日期限汇总】{as_of.isoformat()} {name}：在办 {entry['open_cases']} 件，逾期 {entry['overdue']} 件"
    lines = [subject, ""]
    md = [f"### {subject}", ""]
    if not entry["cases"]:
        lines.append("没有在办案件。")
        md.append("没有在办案件。")
    for e in entry["cases"]:
        n = e["next"]
        if n:
            when = f"{clock_short(n['clock'])} {n['due_on'].isoformat()}，{remaining_text(n['level'] or '', n['workdays_left']) if n['level'] else '还剩 %d 个工作日' % n['workdays_left']}"
        else:
            when = "期限暂停或无进行中的期限"
        lines.append(f"{e['case']}　{e['applicant']}　{e['state_label']}　{when}")
        md.append(f"- **{e['case']}** {e['applicant']} {e['state_label']}：{when}")
    lines += ["", "查看详情：ogi case list --clerk " + entry["clerk"]]
    md += ["", f"查看详情：`ogi case list --clerk {entry['clerk']}`"]
    return Message(subject, "\n".join(lines), "\n".join(md))


def send_digest(result: dict, *, cfg: Config | None = None, transports: dict[str, Transport] | None = None) -> list[dict]:
    """Send each clerk's digest once through their channels (best effort: a digest is
    recomputed every day, so it is not queued for retries)."""
    cfg = cfg or load_config()
    ch = channel_settings(cfg)
    own = transports is None
    transports = default_transports(ch) if own else transports
    out = []
    try:
        for entry in result["clerks"]:
            msg = compose_digest(entry, result["as_of"])
            user = cfg.users.get(entry["clerk"])
            chans = channels_for(user, ch)
            if not chans:
                out.append({"clerk": entry["clerk"], "channel": "none", "ok": False, "error": "没有可用的提醒渠道"})
            for c in chans:
                addr, err = _address(c, entry["clerk"], cfg, ch)
                if not err:
                    try:
                        transports[c].send(addr, msg)
                    except DeliveryError as exc:
                        err = exc.message
                    except KeyError:
                        err = f"没有 {c} 发送渠道"
                out.append({"clerk": entry["clerk"], "channel": c, "ok": not err, "error": err or None})
    finally:
        if own:
            for t in transports.values():
                t.close()
    return out
