"""Setting up an instance (`ogi init`, `ogi users`): the configuration file and the schema; for an
office, the files of the service account (`--service-user`) and the PostgreSQL roles of the
service and of the legal office (`--writer-role`, `--reader-role`). DESIGN.md, Trust; the layout
of the files and what `ogi serve --check` checks are in deployment.py."""
from __future__ import annotations

import os
import re
from pathlib import Path

from .config import DEFAULT_CONFIG, TRAINING_CONFIG, config_path, home_dir, load_config, parse_config
from .identity import require_role, resolve_actor
from .store.db import database_url, describe_url, is_sqlite, sqlite_path
from ..errors import ConfigError, InputError, PermissionDenied, StorageError, os_reason




def init_instance(login: str | None, *, training: bool = False, service_user: str | None = None,
                  writer_role: str | None = None, reader_role: str | None = None) -> dict:
    """Write the default configuration if there is none, then create or upgrade the schema.
    The first set-up is open to whoever installs; upgrading live data is for an admin (or root,
    who sets up a service account).
    training: the new configuration accepts declared identities (--as, OGI_USER), for a demo,
    a training room or tests; every step then records that its actor was declared.
    service_user (root only): the OS account that runs `ogi serve` gets the data to itself.
    writer_role, reader_role (PostgreSQL, run as the tables' owner): the service's role, which
    may append history but never rewrite it, and the legal office's read-only role."""
    from .store.schema import upgrade_and_restore

    svc = _service_account(service_user) if service_user is not None else None
    roles = _role_names(writer_role, reader_role)
    url = database_url()
    if roles and is_sqlite(url):
        raise InputError("--writer-role 和 --reader-role 只用于 PostgreSQL：请把 OGI_DATABASE_URL 指向表的所有者角色后重试")
    if svc is not None:
        _prepare_home(svc)
    cfg_file = config_path()
    created_config = _write_default_config(cfg_file, training, svc)
    cfg = load_config()  # refuse a broken config before touching the database
    changes = [] if svc is None or created_config else _add_service_section(cfg_file, cfg, svc)
    if _initialised(url) and svc is None:
        require_role(resolve_actor(cfg, login), "admin", what="升级已有数据库（ogi init）")
    # An existing database whose append-only triggers were dropped or disabled gets them back,
    # and the report names each one (issue 15).
    restored = upgrade_and_restore(url)
    granted = _grant_roles(url, roles) if roles else []
    if svc is not None:
        from .store.db import dispose_engines

        dispose_engines()  # close the file (SQLite checkpoints and removes its -wal) before chown
        changes += secure_files(svc)
    return {"home": str(home_dir()), "config": str(cfg_file), "config_created": created_config,
            "database": describe_url(url), "allow_declared": cfg.identity.allow_declared,
            "service_user": svc.name if svc is not None else cfg.identity.service_user,
            "changes": changes, "roles": granted, "triggers_restored": restored}


def _initialised(url: str) -> bool:
    """Does the database at `url` already hold an ogi schema?"""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return False
    try:
        from .store.schema import current_heads

        return bool(current_heads(url))
    except Exception:  # noqa: BLE001 - unreachable or empty: upgrade() reports it properly
        return False


def list_users() -> list[dict]:
    return [{"login": u.login, "name": u.name, "roles": list(u.roles)} for u in load_config().users.values()]


# --------------------------------------------------------------------------- the configuration

SERVICE_SECTION = """\
[service]
# 运行 ogi 服务（ogi serve）并独自拥有本实例全部数据的操作系统账户（ogi init --service-user）
user = "{name}"

"""


def _write_default_config(cfg_file: Path, training: bool, svc) -> bool:
    """Write the default configuration where there is none; True if written."""
    if cfg_file.exists():
        return False
    text = TRAINING_CONFIG if training else DEFAULT_CONFIG
    if svc is not None:
        text = _with_service_section(text, svc.name)
    cfg_file.parent.mkdir(parents=True, exist_ok=True)
    cfg_file.write_text(text, encoding="utf-8")
    return True


def _with_service_section(text: str, name: str) -> str:
    """`text` with a [service] section naming `name`, before the users (or at the end)."""
    section = SERVICE_SECTION.format(name=name)
    m = re.search(r"^\[users[.\]]", text, flags=re.M)
    if m is None:
        return text.rstrip("\n") + "\n\n" + section
    return text[:m.start()] + section + text[m.start():]


def _add_service_section(cfg_file: Path, cfg, svc) -> list[str]:
    """An existing configuration names `svc` as its service account (added if it names none)."""
    named = cfg.identity.service_user
    if named == svc.name:
        return []
    if named:
        raise ConfigError(f"配置文件 {cfg_file} 已指定服务账户 {named}（[service] user）：如需改用 {svc.name}，"
                          f"请先修改该项，再运行 ogi init --service-user {svc.name}")
    if "service" in cfg.raw:
        raise ConfigError(f"配置文件 {cfg_file} 的 [service] 中没有 user：请在其中加入 user = \"{svc.name}\" 后重试")
    text = _with_service_section(cfg_file.read_text(encoding="utf-8"), svc.name)
    parse_config(text, str(cfg_file))  # what is written must load
    cfg_file.write_text(text, encoding="utf-8")
    return [f"配置文件 {cfg_file}：写入 [service] user = \"{svc.name}\""]


# --------------------------------------------------------------------------- the service account's files

def _service_account(name: str):
    """The OS account that is to own the instance; refused unless root runs this."""
    from .deployment import account

    name = name.strip()
    if os.geteuid() != 0:
        raise PermissionDenied("设置服务账户（--service-user）须以 root 身份运行："
                               f"请运行 sudo env OGI_HOME={home_dir()} ogi init --service-user {name or 'ogi'}")
    if not name or name == "root":
        raise InputError("服务账户不能为空，也不能是 root：请先创建专用账户（useradd --system ogi）再运行 ogi init --service-user ogi")
    svc = account(name)
    if svc is None:
        raise InputError(f"操作系统账户 {name} 不存在：请先创建（useradd --system {name}），再运行 ogi init --service-user {name}")
    if svc.uid == 0:
        raise InputError(f"账户 {name} 的 uid 为 0（即 root）：服务账户须是普通的专用账户（useradd --system ogi）")
    return svc


def _prepare_home(svc) -> None:
    """Create the instance folder; refuse where the service account and the clerks cannot reach
    it, or where someone else could swap it."""
    from .deployment import ancestors, ancestors_finding

    home = home_dir()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"无法创建实例目录 {home}：{os_reason(exc)}") from None
    found = ancestors_finding(home, ancestors(home), svc)
    if not found["ok"]:
        raise InputError(f"实例目录 {home} 的上级目录不适合服务使用：{found['detail']}")


def secure_files(svc) -> list[str]:
    """Give the instance's files to the service account alone (deployment.layout): the folder
    0711, the configuration, the database and its -wal/-shm 0600, the letters, exports, keys and
    backups 0700 with everything inside. Returns what was changed, in words."""
    from .deployment import HOME_MODE, PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, layout

    lay = layout()
    changes = _own(lay.home, svc, HOME_MODE) + _own(lay.config, svc, PRIVATE_FILE_MODE)
    for _label, path in lay.database_files() + list(lay.files):
        if path.exists():
            changes += _own(path, svc, PRIVATE_FILE_MODE)
    for _label, folder in lay.folders:
        changes += _own_folder(folder, svc, PRIVATE_DIR_MODE)
    return changes


def _own(path: Path, svc, mode: int) -> list[str]:
    """`path` belongs to `svc` with `mode`; what changed, in words (nothing if it already did)."""
    from .deployment import owner_name

    try:
        st = os.stat(path)
        done = []
        if (st.st_uid, st.st_gid) != (svc.uid, svc.gid):
            os.chown(path, svc.uid, svc.gid)
            done.append(f"属主 {owner_name(st.st_uid)} → {svc.name}")
        if st.st_mode & 0o7777 != mode:
            os.chmod(path, mode)
            done.append(f"权限 {st.st_mode & 0o7777:04o} → {mode:04o}")
    except OSError as exc:
        raise StorageError(f"无法设置 {path} 的属主和权限：{os_reason(exc)}") from None
    return [f"{path}：{'，'.join(done)}"] if done else []


def _own_folder(folder: Path, svc, mode: int) -> list[str]:
    """The folder and everything in it belong to `svc`, closed to everyone else. Symbolic links
    inside are left alone (never followed)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"无法创建目录 {folder}：{os_reason(exc)}") from None
    changes = _own(folder, svc, mode)
    count = 0
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            count += _own_entry(Path(root) / name, svc)
    if count:
        changes.append(f"{folder} 内 {count} 个文件或目录：改为属于 {svc.name}，仅其可访问")
    return changes


def _own_entry(path: Path, svc) -> int:
    """1 if the entry was changed (owner, or group/other bits removed), else 0."""
    import stat

    try:
        st = os.lstat(path)
        if stat.S_ISLNK(st.st_mode):
            return 0
        mode = (st.st_mode & 0o700) | (0o700 if stat.S_ISDIR(st.st_mode) else 0)
        changed = 0
        if (st.st_uid, st.st_gid) != (svc.uid, svc.gid):
            os.chown(path, svc.uid, svc.gid, follow_symlinks=False)
            changed = 1
        if st.st_mode & 0o7777 != mode:
            os.chmod(path, mode)
            changed = 1
    except OSError as exc:
        raise StorageError(f"无法设置 {path} 的属主和权限：{os_reason(exc)}") from None
    return changed


# --------------------------------------------------------------------------- PostgreSQL roles

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# The service's role: everything but rewriting the history or the schema version.
WRITER_RIGHTS = {"history_event": "SELECT, INSERT", "alembic_version": "SELECT"}
WRITER_DEFAULT = "SELECT, INSERT, UPDATE, DELETE"


def _role_names(writer: str | None, reader: str | None) -> dict[str, str]:
    roles = {kind: name.strip() for kind, name in (("writer", writer), ("reader", reader)) if name is not None}
    for name in roles.values():
        if not ROLE_NAME.fullmatch(name):
            raise InputError(f"角色名“{name}”无效：请只用小写字母、数字和下划线，并以字母开头（如 ogi_writer）")
    if roles.get("writer") is not None and roles.get("writer") == roles.get("reader"):
        raise InputError("写入角色和只读角色不能是同一个角色：请分别指定")
    return roles


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _grant_roles(url: str, roles: dict[str, str]) -> list[str]:
    """Create the roles where missing (when permitted) and grant each exactly its rights on the
    ogi tables of the current schema; returns what each role may do, in words."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from .store.db import get_engine

    with get_engine(url).begin() as conn:
        me, can_create, schema = conn.execute(text(
            "SELECT current_user, rolsuper OR rolcreaterole, current_schema() FROM pg_roles "
            "WHERE rolname = current_user")).one()
        _refuse_unfit_roles(conn, me, roles)
        done = _create_missing_roles(conn, me, can_create, roles)
        tables = _ogi_tables(conn)
        try:
            for kind, role in roles.items():
                done.append(_grant(conn, kind, role, schema, tables))
        except DBAPIError as exc:
            if "permission denied" in str(exc).lower() or "must be" in str(exc).lower():
                raise PermissionDenied(f"当前角色 {me} 无权把模式 {schema} 中 ogi 各表的权限授予 {'、'.join(roles.values())}："
                                       "请让 OGI_DATABASE_URL 指向这些表和该模式的所有者角色后重试") from None
            raise
    return done


def _refuse_unfit_roles(conn, me: str, roles: dict[str, str]) -> None:
    from sqlalchemy import text

    for role in roles.values():
        if role == me:
            raise InputError(f"角色 {role} 就是当前连接的角色（表的所有者）：写入角色和只读角色须是另外的角色")
        superuser, member = conn.execute(text(
            "SELECT rolsuper, pg_has_role(oid, (SELECT oid FROM pg_roles WHERE rolname = current_user), 'MEMBER') "
            "FROM pg_roles WHERE rolname = :r"), {"r": role}).first() or (False, False)
        if superuser:
            raise InputError(f"角色 {role} 是超级用户，不受任何权限限制：请另选一个普通角色")
        if member:
            raise InputError(f"角色 {role} 是表的所有者角色 {me} 的成员（可 SET ROLE {me}）：请另选一个普通角色")


def _create_missing_roles(conn, me: str, can_create: bool, roles: dict[str, str]) -> list[str]:
    from sqlalchemy import text

    missing = [r for r in roles.values()
               if conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": r}).first() is None]
    if missing and not can_create:
        sql = " ".join(f"CREATE ROLE {_q(r)} LOGIN;" for r in missing)
        raise PermissionDenied(f"数据库角色 {'、'.join(missing)} 不存在，当前角色 {me} 无权创建：请数据库管理员执行"
                               f"“{sql}”，再重新运行本命令")
    for role in missing:
        conn.execute(text(f"CREATE ROLE {_q(role)} LOGIN"))
    return [f"数据库角色 {r}：已创建（可登录；请按需设置密码或 pg_hba 的认证方式）" for r in missing]


def _ogi_tables(conn) -> list[str]:
    """The ogi tables present in the current schema (tables.py's, and Alembic's version table)."""
    from sqlalchemy import text
    from sqlmodel import SQLModel

    from .store import tables  # noqa: F401 - registers the tables in SQLModel.metadata

    names = sorted(SQLModel.metadata.tables) + ["alembic_version"]
    rows = conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                             "AND tablename = ANY(:names) ORDER BY tablename"), {"names": names}).scalars()
    return list(rows)


def _ogi_sequences(conn, tables: list[str]) -> list[str]:
    """The sequences that number the rows of `tables` (serial and identity columns)."""
    from sqlalchemy import text

    return list(conn.execute(text(
        "SELECT DISTINCT s.relname FROM pg_class s "
        "JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass "
        "AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') "
        "JOIN pg_class t ON t.oid = d.refobjid "
        "WHERE s.relkind = 'S' AND t.relnamespace = current_schema()::regnamespace "
        "AND t.relname = ANY(:tables) ORDER BY 1"), {"tables": tables}).scalars())


def _grant(conn, kind: str, role: str, schema: str, tables: list[str]) -> str:
    """Exactly the rights of `kind` for `role`: whatever it had on these tables before is revoked."""
    from sqlalchemy import text

    usage = conn.execute(text("SELECT has_schema_privilege(:r, :s, 'USAGE')"), {"r": role, "s": schema}).scalar()
    if not usage:
        conn.execute(text(f"GRANT USAGE ON SCHEMA {_q(schema)} TO {_q(role)}"))
    for table in tables:
        rights = WRITER_RIGHTS.get(table, WRITER_DEFAULT) if kind == "writer" else "SELECT"
        name = f"{_q(schema)}.{_q(table)}"
        conn.execute(text(f"REVOKE ALL ON TABLE {name} FROM {_q(role)}"))
        conn.execute(text(f"GRANT {rights} ON TABLE {name} TO {_q(role)}"))
    for seq in _ogi_sequences(conn, tables):
        name = f"{_q(schema)}.{_q(seq)}"
        conn.execute(text(f"REVOKE ALL ON SEQUENCE {name} FROM {_q(role)}"))
        if kind == "writer":
            conn.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {name} TO {_q(role)}"))
    if kind == "writer":
        return (f"写入角色 {role}：可读写模式 {schema} 中的 {len(tables)} 张 ogi 表；办理记录（history_event）"
                "只能读取和追加，不能修改、删除或清空")
    return f"只读角色 {role}：可读取模式 {schema} 中的 {len(tables)} 张 ogi 表，不能写入"
