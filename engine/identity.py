"""Who is acting, and what day it is (the only wall-clock read in the engine)."""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass

from ..states.vocabulary import ROLE_LABELS
from .config import BUILT_IN, Config
from ..errors import InputError, PermissionDenied


# How an actor was authenticated; recorded in every history event (history_event.actor_auth).
PEER = "peer"  # the service saw the OS account on its socket (SO_PEERCRED)
OS_LOGIN = "os_login"  # in-process: the process's own OS account
DECLARED = "declared"  # --as / OGI_USER, accepted only where [identity] allow_declared = true
SYSTEM = "system"  # the service itself (deadline warnings, recomputation)


@dataclass(frozen=True)
class Actor:
    login: str
    name: str
    roles: frozenset[str]
    auth: str = OS_LOGIN

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


_PEER_ACCOUNT: list[str] = []  # set once per request by the service (service.py), in its forked child


def authenticate_peer(account: str) -> None:
    """This process serves one request of the OS account `account` (proven by SO_PEERCRED): from
    now on it is the only identity resolve_actor gives; --as and OGI_USER cannot change it."""
    _PEER_ACCOUNT[:] = [account]


def forget_peer() -> None:
    _PEER_ACCOUNT.clear()


def peer_account() -> str | None:
    return _PEER_ACCOUNT[0] if _PEER_ACCOUNT else None


def os_account() -> str:
    """The OS account of this process, from its effective uid (never from $USER or $LOGNAME,
    which anyone can set)."""
    import pwd

    uid = os.geteuid()
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid{uid}"  # an account without a passwd entry (some containers): no user has it


def resolve_actor(cfg: Config, login: str | None) -> Actor:
    """Who acts, as the operating system proves it (DESIGN.md, Trust).

    Through the service: the socket peer's OS account; a different --as is refused. In-process:
    the OS login, unless the configuration allows declared identities ([identity] allow_declared,
    for demo, training and tests), where --as USER, else OGI_USER, names the user."""
    peer = peer_account()
    declared = login or (None if peer else os.environ.get("OGI_USER"))
    if peer is not None:
        user = _account_user(cfg, peer, how="连接 ogi 服务的操作系统账户")
        if login and login != user.login:
            raise PermissionDenied(f"经 ogi 服务办理时，办理人由操作系统账户确定（您是 {peer}，即用户 {user.login}）："
                                   f"不能用 --as 以 {login} 的身份办理")
        return Actor(user.login, user.name, frozenset(user.roles), PEER)
    account = os_account()
    if declared and cfg.identity.allow_declared:
        user = cfg.users.get(declared)
        if user is None:
            known = "、".join(sorted(cfg.users)) or "（无）"
            raise PermissionDenied(f"用户“{declared}”未在配置文件 {cfg.source} 中登记；已登记的用户：{known}")
        mine = cfg.user_of_account(account)
        auth = OS_LOGIN if mine is not None and mine.login == user.login else DECLARED
        return Actor(user.login, user.name, frozenset(user.roles), auth)
    user = _account_user(cfg, account, how="当前登录的操作系统账户")
    if declared and declared != user.login:
        raise PermissionDenied(f"本实例不接受声明的身份：办理人由操作系统登录确定（您是 {account}，即用户 {user.login}），"
                               f"不能以 {declared} 的身份办理（--as 或 OGI_USER）")
    return Actor(user.login, user.name, frozenset(user.roles), OS_LOGIN)


def _account_user(cfg: Config, account: str, *, how: str):
    user = cfg.user_of_account(account)
    if user is None and cfg.source == BUILT_IN:
        raise PermissionDenied("本实例尚未初始化（没有配置文件）：请先运行 ogi init 建立实例"
                               "（演示、培训用 ogi init --training），再在配置文件 [users] 中登记办理人")
    if user is None:
        hint = ("；本实例接受声明的身份，也可用 --as 用户名 或环境变量 OGI_USER 指明办理人"
                if cfg.identity.allow_declared and not peer_account() else "")
        raise PermissionDenied(f"{how} {account} 未对应配置文件 {cfg.source} 中的任何用户："
                               f"请管理员在 [users] 中为其登记（os_account = \"{account}\"）{hint}")
    return user


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
