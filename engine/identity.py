"""Who is acting, and what day it is (the only wall-clock read in the engine)."""
from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass

from ..states.vocabulary import ROLE_LABELS
from .config import Config
from ..errors import InputError, PermissionDenied


@dataclass(frozen=True)
class Actor:
    login: str
    name: str
    roles: frozenset[str]

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def resolve_actor(cfg: Config, login: str | None) -> Actor:
    """--as USER, else OGI_USER, else the OS login if it is a configured user."""
    who = login or os.environ.get("OGI_USER")
    if not who:
        try:
            os_login = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            os_login = ""
        if os_login in cfg.users:
            who = os_login
    if not who:
        raise PermissionDenied("请用 --as 用户名 或环境变量 OGI_USER 指明办理人（用户在配置文件 [users] 中登记）")
    user = cfg.users.get(who)
    if user is None:
        known = "、".join(sorted(cfg.users)) or "（无）"
        raise PermissionDenied(f"用户“{who}”未在配置文件 {cfg.source} 中登记；已登记的用户：{known}")
    return Actor(user.login, user.name, frozenset(user.roles))


def require_role(actor: Actor, *roles: str, what: str) -> None:
    if not actor.has(*roles):
        need = "或".join(ROLE_LABELS[r] for r in roles)
        raise PermissionDenied(f"用户 {actor.login} 没有{what}的权限（需要{need}角色）")


SHANGHAI = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")  # no DST in China since 1991


def now_shanghai() -> dt.datetime:
    return dt.datetime.now(SHANGHAI).replace(microsecond=0)


def today() -> dt.date:
    """Today in Asia/Shanghai; OGI_TODAY fixes it (training, tests, replaying paper files)."""
    fixed = os.environ.get("OGI_TODAY")
    if fixed:
        try:
            return dt.date.fromisoformat(fixed)
        except ValueError:
            raise InputError(f"环境变量 OGI_TODAY=“{fixed}”不是 YYYY-MM-DD 格式的日期") from None
    return dt.datetime.now(SHANGHAI).date()
