"""What the config says about delivering warnings: [warnings], [warnings.smtp], the robots.

channel_settings(cfg) turns `cfg.warnings.raw` into ChannelSettings; every mistake is a one-line
ConfigError naming the key to fix. address_for() resolves where a user is reached on a channel,
from the config at send time, so a corrected config takes effect on the next round.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Optional

from ...errors import ConfigError
from ..config import Config, expect_type
from .transports import is_robot_url


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
    return expect_type(value, kind, where, suffix="：请修改配置文件")


def _check_url(url: str, where: str) -> str:
    if not is_robot_url(url):
        raise ConfigError(f"配置项 {where} 应为 http:// 或 https:// 开头的机器人地址，实际为“{url[:60]}”")
    return url


def _smtp_settings(s: dict) -> SmtpSettings:
    """[warnings.smtp], present and not empty."""
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
    return SmtpSettings(
        host=host, port=port, sender=sender, starttls=starttls, ssl=use_ssl,
        username=_cfg_type(s.get("username", ""), str, "warnings.smtp.username"), password=password,
        timeout=float(_cfg_type(s.get("timeout_seconds", 10), float, "warnings.smtp.timeout_seconds")))


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
    s = _cfg_type(raw.get("smtp", {}), dict, "[warnings.smtp]")
    smtp = _smtp_settings(s) if s else None
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


def address_for(channel: str, login: str, cfg: Config, ch: ChannelSettings) -> tuple[str, str]:
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

