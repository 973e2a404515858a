"""The instance's files and roles as a deployment for an office (DESIGN.md, Trust): which paths
belong to the service account alone (`layout`, used by `ogi init --service-user` too), and
`check`, what `ogi serve --check` reports.

Only the service account (and root) may open the data: the configuration, the SQLite file and
its -wal/-shm, the letters, exports, keys and backups. Clerks reach the service's socket inside
the instance directory (mode 0711) and nothing else. On PostgreSQL the service's role must not
be able to rewrite the history: not its owner, not a superuser, no UPDATE/DELETE/TRUNCATE.

The checks are pure functions of os.stat results (`*_finding`), tested directly; `check()`
gathers the facts and never opens the SQLite file (as root that would leave root-owned
-wal/-shm files that the service could not open).

A finding is {"ok", "item" (what was checked), "detail" (what is wrong and what to do; empty
when ok), "note" (what was found, when ok)}.
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
HOME_MODE = 0o711  # clerks may reach ogi.sock inside, not list or read anything
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
# (label, folder name under OGI_HOME); letters may be moved by OGI_LETTERS_DIR (layout()).
PRIVATE_FOLDERS = (("文书目录", "letters"), ("导出目录", "exports"), ("密钥目录", "keys"), ("备份目录", "backups"))
PRIVATE_FILES = (("错误日志", "ogi-error.log"),)


class Account(NamedTuple):
    name: str
    uid: int
    gid: int


def account(name: str) -> Account | None:
    """The OS account `name`, or None where it does not exist."""
    import pwd

    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        return None
    return Account(pw.pw_name, pw.pw_uid, pw.pw_gid)


def owner_name(uid: int) -> str:
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


# --------------------------------------------------------------------------- layout

@dataclass(frozen=True)
class Layout:
    home: Path
    config: Path
    database: Path | None  # the SQLite file; None on PostgreSQL
    folders: tuple[tuple[str, Path], ...]  # (label, path): the service account's alone
    files: tuple[tuple[str, Path], ...]  # (label, path): other files of the service, if present

    def database_files(self) -> list[tuple[str, Path]]:
        if self.database is None:
            return []
        return [("数据库", self.database)] + [("数据库附属文件", Path(f"{self.database}{s}")) for s in SQLITE_SIDECARS]


def layout() -> Layout:
    """Where the instance of this environment (OGI_HOME, OGI_CONFIG, OGI_DATABASE_URL,
    OGI_LETTERS_DIR) keeps its files."""
    from .config import config_path, home_dir
    from .store.db import database_url, sqlite_path

    home = home_dir()
    letters = os.environ.get("OGI_LETTERS_DIR")  # as engine/cases/documents.letters_dir
    folders = tuple((label, Path(letters) if name == "letters" and letters else home / name)
                    for label, name in PRIVATE_FOLDERS)
    return Layout(home, config_path(), sqlite_path(database_url()), folders,
                  tuple((label, home / name) for label, name in PRIVATE_FILES))


# --------------------------------------------------------------------------- findings (pure)

class Advice(str):
    """A fix said in words; any other fix is a shell command to run."""


def finding(item: str, wrongs: list[str] = (), fixes: list[str] = (), note: str = "") -> dict:
    """One line of the report: ok when nothing is wrong; else what is wrong, then what to do
    (the commands joined with &&, then the advice)."""
    if not wrongs:
        return {"ok": True, "item": item, "detail": "", "note": note}
    fixes = list(dict.fromkeys(fixes))
    commands = [f for f in fixes if not isinstance(f, Advice)]
    todo = (["运行 " + " && ".join(commands)] if commands else []) + [f for f in fixes if isinstance(f, Advice)]
    return {"ok": False, "item": item, "detail": "、".join(wrongs) + ("；请" + "，".join(todo) if todo else ""), "note": ""}


_BITS = ((stat.S_IRGRP, "同组用户可读"), (stat.S_IWGRP, "同组用户可写"), (stat.S_IXGRP, "同组用户可进入"),
         (stat.S_IROTH, "其他用户可读"), (stat.S_IWOTH, "其他用户可写"), (stat.S_IXOTH, "其他用户可进入"))


def loose_bits(mode: int, forbidden: int) -> list[str]:
    """The permission bits of `mode` that are in `forbidden`, in words."""
    return [words for bit, words in _BITS if mode & forbidden & bit]


def reinit(svc: Account | None) -> str:
    """The command that sets the instance's files right (as root)."""
    return f"ogi init --service-user {svc.name}" if svc is not None else "ogi init"


def private_finding(label: str, path: Path, st: os.stat_result | None, svc: Account | None, *,
                    is_dir: bool, optional: bool = False, inside: tuple[int, int] = (0, 0)) -> dict:
    """A file or folder that only the service account may open: owned by it, no group/other bits.
    inside (folders): how many entries in it belong to another account, and how many have
    group/other bits (contents_census)."""
    item = f"{label} {path}"
    if st is None:
        if optional:
            return finding(item, note="尚未创建（服务将以仅其可访问的权限创建）")
        return finding(item, ["不存在"], [reinit(svc)])
    kind_ok = stat.S_ISDIR(st.st_mode) if is_dir else stat.S_ISREG(st.st_mode)
    if not kind_ok:
        return finding(item, ["不是目录" if is_dir else "不是普通文件"], [f"mv {path} {path}.bak", reinit(svc)])
    mode, chmod = (PRIVATE_DIR_MODE, "chmod -R go-rwx") if is_dir else (PRIVATE_FILE_MODE, "chmod 600")
    wrongs, fixes = [], []
    if svc is not None and st.st_uid != svc.uid:
        wrongs.append(f"属于 {owner_name(st.st_uid)} 而非服务账户 {svc.name}")
        fixes.append(f"chown {'-R ' if is_dir else ''}{svc.name}: {path}")
    loose = loose_bits(st.st_mode, 0o077)
    if loose:
        wrongs += loose
        fixes.append(f"{chmod} {path}")
    foreign, open_ = inside
    if foreign:
        wrongs.append(f"其中 {foreign} 个文件或目录不属于服务账户，服务无法改写" if svc else f"其中 {foreign} 个文件或目录属于其他账户")
        fixes.append(reinit(svc))
    if open_:
        wrongs.append(f"其中 {open_} 个文件或目录对同组或其他用户开放")
        fixes.append(reinit(svc))
    who = f"服务账户 {svc.name}" if svc is not None else owner_name(st.st_uid)
    return finding(item, wrongs, fixes, note=f"属于{who}，仅其可{'访问' if is_dir else '读写'}"
                   + (f"（权限 {st.st_mode & 0o777:04o}）" if st.st_mode & 0o777 != mode else ""))


def config_finding(path: Path, st: os.stat_result | None, svc: Account | None) -> dict:
    """The configuration (it may hold webhook keys): owned by the service account or root, read
    by the service, neither writable by others nor readable by other users."""
    item = f"配置文件 {path}"
    if st is None:
        return finding(item, ["不存在"], [reinit(svc)])
    fix = f"chown {svc.name}: {path} && chmod 600 {path}" if svc else f"chmod 600 {path}"
    wrongs = []
    allowed_owners = {0} | ({svc.uid} if svc else set())
    if st.st_uid not in allowed_owners:
        wrongs.append(f"属于 {owner_name(st.st_uid)}" + (f"，不是服务账户 {svc.name} 或 root" if svc else "，不是 root"))
    wrongs += loose_bits(st.st_mode, stat.S_IWGRP | stat.S_IRWXO)
    if svc is not None and not _service_reads(st, svc):
        wrongs.append(f"服务账户 {svc.name} 无法读取")
    if wrongs:
        return finding(item, wrongs, [fix])
    who = f"服务账户 {svc.name}" if svc and st.st_uid == svc.uid else owner_name(st.st_uid)
    group = "，同组可读" if st.st_mode & stat.S_IRGRP else ""
    return finding(item, note=f"属于{who}{group}，仅其可读写")


def _service_reads(st: os.stat_result, svc: Account) -> bool:
    if st.st_uid == svc.uid:
        return bool(st.st_mode & stat.S_IRUSR)
    return st.st_gid == svc.gid and bool(st.st_mode & stat.S_IRGRP)


def home_finding(path: Path, st: os.stat_result | None, svc: Account | None) -> dict:
    """The instance folder: owned by the service account (or root), writable by nobody else; with a
    service, others may pass through it (to reach the socket) and nothing more."""
    item = f"实例目录 {path}"
    if st is None or not stat.S_ISDIR(st.st_mode):
        return finding(item, ["不存在或不是目录"], [reinit(svc)])
    wrongs, fixes = [], []
    if st.st_uid not in {0} | ({svc.uid} if svc else set()):
        wrongs.append(f"属于 {owner_name(st.st_uid)}，他人可改动其中的文件")
        fixes.append(f"chown {svc.name if svc else 'root'}: {path}")
    writable = loose_bits(st.st_mode, stat.S_IWGRP | stat.S_IWOTH)
    if writable:
        wrongs += writable
    if svc is not None and not st.st_mode & stat.S_IXOTH:
        wrongs.append("其他用户无法进入，职员无法连接服务套接字")
    if writable or (svc is not None and not st.st_mode & stat.S_IXOTH):
        fixes.append(f"chmod {HOME_MODE:o} {path}")
    listing = "，不能列出或读取" if not st.st_mode & stat.S_IROTH else ""
    who = f"服务账户 {svc.name}" if svc is not None and st.st_uid == svc.uid else owner_name(st.st_uid)
    return finding(item, wrongs, fixes, note=f"属于{who}，其他用户不能写入{listing}")


def ancestors_finding(home: Path, chain: list[tuple[Path, os.stat_result]], svc: Account | None) -> dict:
    """The folders above the instance: everyone can pass through (the service and the clerks must
    reach it), and nobody but root (or the service account) can rename it away and put another
    in its place (a sticky, world-writable folder like /tmp is safe)."""
    item = f"实例目录的上级目录（{home.parent}）"
    wrongs, fixes = [], []
    trusted = {0} | ({svc.uid} if svc else set())
    for path, st in chain:
        if not st.st_mode & stat.S_IXOTH:
            wrongs.append(f"{path} 其他用户无法进入，服务账户和职员都到不了实例目录")
            fixes.append(f"chmod o+x {path}")
        if st.st_uid not in trusted:
            wrongs.append(f"{path} 属于 {owner_name(st.st_uid)}，其可替换实例目录")
            fixes.append(Advice("把实例放在 /srv/ogi 等只有 root 可写的目录下"))
        elif st.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not st.st_mode & stat.S_ISVTX:
            wrongs.append(f"{path} 可被他人写入，他人可替换实例目录")
            fixes.append(f"chmod go-w {path}")
    return finding(item, wrongs, fixes, note="均可进入，他人不能替换实例目录")


def process_finding(euid: int, svc: Account | None, service_user: str) -> dict:
    """Who runs the check: the service account, or root (who may check anything)."""
    item = "运行账户"
    if not service_user:
        return finding(item, ["配置文件未指定服务账户（[service] user）"],
                       ["useradd --system ogi && ogi init --service-user ogi（以 root 身份，OGI_HOME 指向本实例）"])
    if svc is None:
        return finding(item, [f"配置的服务账户 {service_user} 在本机不存在"],
                       [f"useradd --system {service_user}"])
    if euid == svc.uid:
        return finding(item, note=f"以服务账户 {svc.name} 运行")
    if euid == 0:
        return finding(item, note=f"以 root 身份检查（服务账户为 {svc.name}）")
    return finding(item, [f"当前以 {owner_name(euid)} 运行，不是服务账户 {svc.name}"],
                   [f"sudo -u {svc.name} ogi serve --check"])


def socket_finding(path: str, st: os.stat_result | None, answers: bool, *, service: bool) -> dict:
    """The service's socket: present, a socket, open to every local account, answering."""
    item = f"服务套接字 {path}"
    if st is None:
        return finding(item, ["不存在，服务未运行"], ["systemctl start ogi"])
    if not stat.S_ISSOCK(st.st_mode):
        return finding(item, ["不是套接字"], [f"systemctl stop ogi && rm {path} && systemctl start ogi"])
    if service and not st.st_mode & stat.S_IWOTH:
        return finding(item, ["其他用户无法连接（缺少写权限）"], ["systemctl restart ogi"])
    if not answers:
        return finding(item, ["服务没有应答"], ["systemctl restart ogi", Advice("并用 journalctl -u ogi 查看原因")])
    return finding(item, note="服务正在应答")


def history_role_finding(facts: dict) -> dict:
    """PostgreSQL: the service's role may append history but never rewrite it. `facts`: role,
    superuser, owner (of history_event), owner_member (may SET ROLE to it), update, delete,
    truncate (has_table_privilege)."""
    role = facts["role"]
    item = f"数据库角色 {role}"
    if facts.get("missing"):
        return finding(item, ["数据库中没有办理记录表 history_event（尚未初始化）"], [Advice("以表的所有者角色运行 ogi init")])
    use_writer = Advice("让服务改用写入角色：以表的所有者角色运行 ogi init --writer-role 角色名，"
                        "再把服务的 OGI_DATABASE_URL 指向该角色")
    if facts["superuser"]:
        return finding(item, ["是超级用户，可改写或删除办理记录"], [use_writer])
    if facts["owner"] == role:
        return finding(item, ["是办理记录表 history_event 的所有者，可关闭触发器改写记录"], [use_writer])
    if facts.get("owner_member"):
        return finding(item, [f"是所有者角色 {facts['owner']} 的成员（可 SET ROLE），可关闭触发器改写记录"],
                       [Advice(f"以超级用户执行 REVOKE {facts['owner']} FROM {role}")])
    rights = [p.upper() for p in ("update", "delete", "truncate") if facts[p]]
    if rights:
        return finding(item, [f"对办理记录表 history_event 有 {', '.join(rights)} 权限"],
                       [Advice(f"以表的所有者角色执行 REVOKE UPDATE, DELETE, TRUNCATE ON history_event FROM {role}")])
    return finding(item, note="只能读取和追加办理记录，不能修改、删除或清空")


# --------------------------------------------------------------------------- gathering the facts

def _stat(path: Path | str) -> os.stat_result | None:
    try:
        return os.stat(path)
    except FileNotFoundError:
        return None


def ancestors(home: Path) -> list[tuple[Path, os.stat_result]]:
    chain = []
    for parent in Path(os.path.abspath(home)).parents:
        st = _stat(parent)
        if st is not None:
            chain.append((parent, st))
    return chain


AS_SERVICE = "以服务账户或 root 身份运行 ogi serve --check"


def _read_config(path: Path):
    """(config, finding if it cannot be read)."""
    from .config import load_config
    from ..errors import ConfigError, os_reason

    try:
        return load_config(), None
    except ConfigError as exc:
        return None, finding(f"配置文件 {path}", [exc.message.rstrip("。")], [Advice("改正后重新检查")])
    except OSError as exc:
        return None, finding(f"配置文件 {path}", [f"无法读取：{os_reason(exc)}"], [Advice(AS_SERVICE)])


def _file_findings(lay: Layout, svc: Account | None) -> list[dict]:
    out = []
    for label, path in lay.database_files():
        st = _stat(path)
        if st is not None or label == "数据库":
            out.append(private_finding(label, path, st, svc, is_dir=False))
    for label, path in lay.folders:
        st = _stat(path)
        inside = contents_census(path, svc) if st is not None and stat.S_ISDIR(st.st_mode) else (0, 0)
        out.append(private_finding(label, path, st, svc, is_dir=True, optional=True, inside=inside))
    for label, path in lay.files:
        st = _stat(path)
        if st is not None:
            out.append(private_finding(label, path, st, svc, is_dir=False))
    return out


def contents_census(folder: Path, svc: Account | None) -> tuple[int, int]:
    """(entries under `folder` owned by another account than the service's, entries with
    group/other bits); symbolic links are not followed or counted."""
    foreign = open_ = 0
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                st = os.lstat(os.path.join(root, name))
            except FileNotFoundError:
                continue
            if stat.S_ISLNK(st.st_mode):
                continue
            foreign += svc is not None and st.st_uid != svc.uid
            open_ += bool(st.st_mode & 0o077)
    return foreign, open_


def _postgres_facts(url: str) -> dict:
    from sqlalchemy import text

    from .store.db import get_engine

    with get_engine(url).connect() as conn:
        role, superuser = conn.execute(text(
            "SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")).one()
        row = conn.execute(text(
            "SELECT pg_get_userbyid(c.relowner), has_table_privilege(current_user, c.oid, 'UPDATE'), "
            "has_table_privilege(current_user, c.oid, 'DELETE'), has_table_privilege(current_user, c.oid, 'TRUNCATE'), "
            "pg_has_role(current_user, c.relowner, 'MEMBER') "
            "FROM pg_class c WHERE c.oid = to_regclass('history_event')")).first()
    if row is None:
        return {"role": role, "missing": True}
    return {"role": role, "superuser": bool(superuser), "owner": row[0],
            "update": bool(row[1]), "delete": bool(row[2]), "truncate": bool(row[3]), "owner_member": bool(row[4])}


def _postgres_finding(url: str) -> dict:
    from .store.db import describe_storage_error, describe_url

    try:
        return history_role_finding(_postgres_facts(url))
    except Exception as exc:  # noqa: BLE001 - any database failure is one finding, in Chinese
        message = describe_storage_error(exc) or f"数据库检查失败（{type(exc).__name__}）"
        return finding(f"数据库 {describe_url(url)}", [message.rstrip("。")], [Advice("确认数据库可以连接后重新检查")])


def _guarded(make, item: str) -> list[dict]:
    """The findings of `make()`, or one finding saying why they could not be gathered."""
    from ..errors import os_reason

    try:
        return make()
    except OSError as exc:
        return [finding(item, [f"无法检查：{os_reason(exc)}"], [Advice(AS_SERVICE)])]


def check(*, socket: str) -> dict:
    """`ogi serve --check`: is this instance deployed so that only the service account opens its
    data, clerks reach its socket, and (PostgreSQL) its role cannot rewrite the history?"""
    from ..client import ping
    from .store.db import database_url, is_sqlite

    lay = layout()
    cfg, broken = _read_config(lay.config)
    service_user = cfg.identity.service_user if cfg is not None else ""
    svc = account(service_user) if service_user else None
    if broken:  # who runs it and whose files these are cannot be known
        findings = [broken]
    else:
        findings = [process_finding(os.geteuid(), svc, service_user)]
        findings += _guarded(lambda: [config_finding(lay.config, _stat(lay.config), svc)], "配置文件")
    findings += _guarded(lambda: [home_finding(lay.home, _stat(lay.home), svc),
                                  ancestors_finding(lay.home, ancestors(lay.home), svc)], "实例目录")
    findings += _guarded(lambda: _file_findings(lay, svc), "实例文件")
    url = database_url()
    if not is_sqlite(url):
        findings.append(_postgres_finding(url))
    findings += _guarded(lambda: [socket_finding(socket, _stat(socket), ping(socket), service=bool(service_user))],
                         "服务套接字")
    return {"ok": all(f["ok"] for f in findings), "service_user": service_user, "findings": findings}
