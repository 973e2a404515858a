"""Backup and restore of the database (system administrator only).

SQLite: `backup` copies the live database with SQLite's online backup API
(`sqlite3.Connection.backup`): one consistent snapshot even while clerks keep working (WAL
readers never block writers). The copy is written under a temporary name, switched to a
self-contained rollback-journal file, checked (`PRAGMA integrity_check`, every history chain
re-walked) and only then renamed into place.

`restore` never touches the live database before the file has been proved good: it works on a
private copy of the file, checks that it is an ogi database (tables, known schema revision), that
SQLite finds it intact, and that every case's chain verifies and every case row equals the replay
of its history (engine/legal/audit.verify_session, or cases/history.verify_chain when the audit
module is missing). Without --yes it stops there. With --yes it keeps the current database as
`ogi.db.<time>.bak` (again via the backup API), copies the checked file into the live database
through the backup API (other processes see either the old or the new database, never a mix),
upgrades the schema if the copy is older, and verifies the result once more.

PostgreSQL: ogi runs neither pg_dump nor pg_restore. The agency's PostgreSQL belongs to its DBA
(its own backup regime, credentials that must never appear on a command line, tools matching the
server version); `ogi backup` and `ogi restore DUMP` print the commands with the password masked.
A restore never replaces the live database: the DBA pg_restores the dump into a NEW staging
database, and `ogi restore postgresql://…/staging` checks that database read-only (an ogi
database of a known schema revision, every history chain intact, its log intact and extending
the newest checkpoint: the --checkpoint file, else the newest row of ledger_checkpoint in the
live database; the same engine/ledger/store.file_log / file_extends as for a file, over a
SQLAlchemy connection). A refusal changes neither database. With --yes ogi upgrades the staging
schema if older and records the restore there (the live database's checkpoints that its log
covers, and the `restore` leaf, whose `sha256` is that of the staging URL shown without password:
there is no file), then prints the switch for the DBA: point OGI_DATABASE_URL at the staging
database (or rename it), `ogi init` (re-creates the append-only triggers), `ogi audit verify`.
Letter files (OGI_HOME/letters) are not in the database: back that directory up alongside it.
"""
from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..config import home_dir, load_config
from .db import SQLITE_BUSY_TIMEOUT_MS, database_url, describe_url, sqlite_path
from .files import sha256_file
from ...errors import InputError, NotFound, StorageError, os_reason
from ..identity import now_shanghai, require_role, resolve_actor

OGI_TABLES = {"cases", "history_event", "applicant", "letter", "counter", "alembic_version"}


def _admin(login: str | None, what: str):
    cfg = load_config()
    actor = resolve_actor(cfg, login)
    require_role(actor, "admin", what=what)
    return cfg, actor


def _stamp() -> str:
    return now_shanghai().strftime("%Y%m%d-%H%M%S")


def _connect(path: Path) -> sqlite3.Connection:
    con = sqlite3.connect(str(path), timeout=SQLITE_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    con.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return con


def _copy_sqlite(src_path: Path, dest: Path) -> None:
    """A consistent single-file copy of a (possibly busy) SQLite database."""
    src = _connect(src_path)
    try:
        dst = sqlite3.connect(str(dest), isolation_level=None)
        try:
            src.backup(dst)  # pages=-1: one step, one read snapshot of the source
            dst.execute("PRAGMA journal_mode=DELETE")  # self-contained file: no -wal beside it
        finally:
            dst.close()
    finally:
        src.close()
    with open(dest, "rb") as fh:
        os.fsync(fh.fileno())


# --------------------------------------------------------------------------- checking a file

def check_database_file(path: Path, name: Path | None = None) -> dict:
    """Is `path` an intact ogi database with intact history? Raises InputError saying why not
    (naming the file as `name`, the user's file when `path` is a private copy of it).

    Opens the file itself: call it on a private copy, never on a file someone else owns."""
    shown = name or path
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise NotFound(f"无法读取文件 {shown}：{os_reason(exc)}") from None
    if header != b"SQLite format 3\x00":
        raise InputError(f"文件 {shown} 不是 SQLite 数据库文件，不能用于恢复")
    con = sqlite3.connect(str(path), isolation_level=None)
    try:
        try:
            integrity = con.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        except sqlite3.DatabaseError as exc:
            raise InputError(f"文件 {shown} 已损坏，不能用于恢复（{exc}）") from None
        if integrity != "ok":
            raise InputError(f"文件 {shown} 未通过 SQLite 完整性检查（{integrity[:200]}），不能用于恢复")
        missing = OGI_TABLES - tables
        if missing:
            raise InputError(f"文件 {shown} 不是 ogi 数据库（缺少数据表 {'、'.join(sorted(missing))}），不能用于恢复")
        revisions = {r[0] for r in con.execute("SELECT version_num FROM alembic_version")}
    finally:
        con.close()
    known = _known_revisions()
    if known and not revisions <= known:
        raise InputError(f"文件 {shown} 来自更新版本的 ogi（数据库结构版本 {', '.join(sorted(revisions))}），"
                         "请先升级本机 ogi 再恢复")
    return {"revisions": sorted(revisions), **verify_history(f"sqlite:///{path}")}


def _known_revisions() -> set[str]:
    try:
        from alembic.script import ScriptDirectory

        from .schema import alembic_config

        return {s.revision for s in ScriptDirectory.from_config(alembic_config("sqlite://")).walk_revisions()}
    except Exception:  # noqa: BLE001 - without the scripts, skip this one check
        return set()


def verify_history(url: str) -> dict:
    """Re-walk every chain (and the projections and numbering) of the database at `url`.

    Raises InputError on any broken history; letter-file mismatches are returned as warnings
    (the files live outside the database)."""
    from .db import file_session

    # The legal office's own audit (engine/legal/audit.py): a backup is verified as the record is.
    from ..legal.audit import verify_session

    with file_session(url) as s:
        r = verify_session(s, load_config())
    fatal = [b for b in r["broken"] if b["kind"] != "letter"]
    warnings = [b["problem"] for b in r["broken"] if b["kind"] == "letter"]
    cases, events = r["cases"], r["events"]
    if fatal:
        first = fatal[0]
        where = f"案件 {first.get('case') or first.get('case_id')}：" if first.get("case_id") else ""
        raise InputError(f"数据库的办理记录不完整或被改动（{len(fatal)} 处，首处 {where}{first['problem']}），不能使用")
    return {"cases": cases, "events": events, "letter_warnings": warnings}


# --------------------------------------------------------------------------- PostgreSQL recipe

def _is_pg_url(text: str) -> bool:
    return text.split("://", 1)[0] in ("postgresql", "postgres", "postgresql+psycopg") and "://" in text


def _pg_parts(url: str) -> tuple[str, str | None]:
    """(libpq URL without the query, the schema named by `options=-csearch_path=...` or None)."""
    parts = urlsplit(url)
    schema = None
    for opt in parse_qs(parts.query).get("options", []):
        for token in opt.split():
            if token.startswith("-csearch_path="):
                schema = token.split("=", 1)[1].split(",")[0]
    return "postgresql://" + parts.netloc + parts.path, schema


def _without_password(url: str) -> str:
    """`url` with no password at all (libpq then reads ~/.pgpass): for commands to type."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        creds, host = netloc.rsplit("@", 1)
        netloc = creds.split(":", 1)[0] + "@" + host
    return urlunsplit(("postgresql", netloc, parts.path, parts.query, ""))


def _staging_name(libpq: str) -> str:
    db = urlsplit(libpq).path.lstrip("/") or "ogi"
    return f"{db}_restore_{_stamp().replace('-', '_')}_{secrets.token_hex(2)}"


def _pg_recipe(url: str, out: str | None, *, restore_file: str | None = None) -> dict:
    """The DBA's commands: pg_dump; for a restore, pg_restore into a NEW staging database, the
    check of that database by `ogi restore STAGING_URL` (then --yes), the switch, `ogi init`
    and `ogi audit verify`. Passwords are masked (***) or left out (~/.pgpass)."""
    libpq, schema = _pg_parts(url)
    shown = describe_url(libpq)
    dump = out or f"ogi-{_stamp()}.dump"
    schema_opt = f" --schema={schema}" if schema else ""
    staging_db = _staging_name(libpq)
    parts = urlsplit(libpq)
    staging_libpq = urlunsplit(("postgresql", parts.netloc, "/" + staging_db, "", ""))
    staging = _without_password(urlunsplit(("postgresql", parts.netloc, "/" + staging_db, urlsplit(url).query, "")))
    restore_from = restore_file or dump
    recipe = [
        f"pg_dump --format=custom --no-owner{schema_opt} --file {dump} \"{shown}\"",
        f"createdb --maintenance-db \"{shown}\" {staging_db}    # 新建临时库：恢复从不覆盖当前数据库",
        # no --schema here: the dump holds only that schema, and pg_restore must recreate it too
        f"pg_restore --no-owner --dbname \"{describe_url(staging_libpq)}\" {restore_from}",
        f"ogi restore \"{staging}\" [--checkpoint 检查点文件]    # 核验临时库：哈希链、日志延续最新的检查点",
        f"ogi restore \"{staging}\" --yes [--checkpoint 检查点文件]    # 在临时库中记录本次恢复",
        f"停止 ogi 服务，将 OGI_DATABASE_URL 改为 {staging}（或由数据库管理员将临时库改名为当前数据库名）",
        "ogi init    # 以表的所有者运行：重建只增触发器（原有 --writer-role/--reader-role 一并给出）",
        "ogi audit verify --checkpoint 检查点文件    # 恢复后重新核验全部哈希链、日志和文书",
    ]
    return {"backend": "postgresql", "database": shown, "ran": False, "file": restore_from,
            "staging": staging, "recipe": recipe,
            "note": "PostgreSQL 数据库由数据库管理员按其备份制度备份；ogi 不代为运行 pg_dump / pg_restore（避免在命令行暴露口令、"
                    "版本须与服务器一致）。恢复时先用 pg_restore 恢复到新建的临时库，经 ogi restore 核验后再切换。"
                    "请将 *** 换成实际口令（或使用 ~/.pgpass），并同时备份文书目录。"}


# --------------------------------------------------------------------------- PostgreSQL: checking a staging database

def _pg_url(text: str) -> str:
    """A postgresql URL as given, for SQLAlchemy with psycopg 3 (as db.database_url does)."""
    return "postgresql+psycopg://" + text.split("://", 1)[1]


def _pg_first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__


@contextmanager
def _pg_connection(url: str):
    """A private connection to the database at `url` (not cached, disposed on exit), in one
    REPEATABLE READ read transaction that is rolled back: checking never writes."""
    from sqlalchemy import create_engine

    engine = create_engine(url, connect_args={"connect_timeout": 10}, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            try:
                yield conn
            finally:
                conn.rollback()
    finally:
        engine.dispose()


class _DriverSql:
    """What engine/ledger/store.file_log / file_extends ask of a connection (`execute(sql)` with
    `fetchone()` and iteration), over a SQLAlchemy connection: rows streamed, never all in memory."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str):
        return self.conn.execution_options(stream_results=True, yield_per=5000).exec_driver_sql(sql)


def _pg_where(conn) -> tuple:
    from sqlalchemy import text

    return tuple(conn.execute(text(
        "SELECT inet_server_addr()::text, inet_server_port(), current_database(), current_schema()")).one())


def _pg_live_checkpoints(url: str) -> tuple[list[tuple], tuple | None]:
    """The checkpoints recorded in the live PostgreSQL database, oldest first (as _live_checkpoints),
    and where it is (server, port, database, schema). ([], None) when it does not answer or has no
    log yet (restoring is then exactly what is needed)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with _pg_connection(url) as conn:
            where = _pg_where(conn)
            if conn.execute(text("SELECT to_regclass('ledger_checkpoint')")).scalar() is None:
                return [], where
            rows_ = conn.execute(text(
                "SELECT size, root, note, made_at, made_by FROM ledger_checkpoint ORDER BY id")).all()
            return [tuple(r) for r in rows_], where
    except SQLAlchemyError:
        return [], None


def check_pg_database(url: str, shown: str, cp: dict | None, live_where: tuple | None) -> dict:
    """Is the (staging) PostgreSQL database at `url` an ogi database of a known schema revision,
    with intact history and an intact log that extends the checkpoint `cp`? Read only; raises
    InputError with one Chinese line saying why not."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from ..ledger.store import file_extends, file_log

    unchanged = "当前数据库未被改动"
    try:
        with _pg_connection(url) as conn:
            where = _pg_where(conn)
            if live_where is not None and where == live_where:
                raise InputError(f"数据库 {shown} 就是当前数据库本身：请先用 pg_restore 把备份恢复到新建的临时库，再核验该临时库")
            tables = {r[0] for r in conn.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"))}
            missing = OGI_TABLES - tables
            if missing:
                raise InputError(f"数据库 {shown} 不是 ogi 数据库（缺少数据表 {'、'.join(sorted(missing))}）：请确认 pg_restore "
                                 f"已恢复到该库、URL 中的 search_path 正确；{unchanged}")
            revisions = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
            known = _known_revisions()
            if known and not revisions <= known:
                raise InputError(f"数据库 {shown} 来自更新版本的 ogi（数据库结构版本 {', '.join(sorted(revisions))}），"
                                 f"请先升级本机 ogi 再恢复；{unchanged}")
            if "ledger_leaf" in tables:
                size, root, problems = file_log(_DriverSql(conn))
            else:  # before migration 0007: no log yet
                from ..ledger import merkle

                size, root, problems = 0, merkle.CompactRange().root(), []
            if problems:
                raise InputError(f"数据库 {shown} 的日志不完整（{problems[0]}），不能用于恢复；{unchanged}")
            if cp is not None:
                why = file_extends(_DriverSql(conn), cp["size"], cp["root"]) if "ledger_leaf" in tables else \
                    f"备份早于检查点，恢复将丢失检查点已证明的记录（备份日志 0 条，检查点 {cp['size']} 条）"
                if why is not None:
                    against = f"检查点文件 {cp['path']}" if cp["path"] else "当前数据库中最新的检查点"
                    raise InputError(f"拒绝恢复 {shown}：{why}（对照{against}，签发于 {cp['time']}）；"
                                     f"请改用不早于该检查点的完好备份，{unchanged}")
    except SQLAlchemyError as exc:
        raise InputError(f"无法读取数据库 {shown}（{_pg_first_line(exc)}）：请确认已用 pg_restore 恢复到该库、"
                         f"地址和账号正确；{unchanged}") from None
    try:
        history = verify_history(url)
    except SQLAlchemyError as exc:
        raise InputError(f"无法核验数据库 {shown} 的办理记录（{_pg_first_line(exc)}）；{unchanged}") from None
    return {"revisions": sorted(revisions), "log": {"size": size, "root": root.hex()}, **history}


def _restore_pg(actor: str, url: str, staging_text: str, yes: bool, checkpoint: str | None,
                key: str | None) -> dict:
    """`ogi restore postgresql://…/staging`: check the staging database the DBA restored the dump
    into against the newest checkpoint; with --yes record the restore there (the live database's
    checkpoints the staging log covers, and the `restore` leaf). ogi never switches databases."""
    staging = _pg_url(staging_text)
    shown = describe_url(_pg_parts(staging)[0])
    shown_full = _without_password(staging)
    live_rows, live_where = _pg_live_checkpoints(url)  # read before anything else
    cp = _checkpoint_to_keep(live_rows, checkpoint, key)
    checked = check_pg_database(staging, shown, cp, live_where)
    log = checked.pop("log")
    # No file on PostgreSQL: the leaf's `sha256` names the database adopted (no password in it).
    digest = hashlib.sha256(shown_full.encode("utf-8")).hexdigest()
    steps = [f"停止 ogi 服务（ogi serve、调度器），将 OGI_DATABASE_URL 改为 {shown_full}"
             "（或由数据库管理员将临时库改名为当前数据库名）",
             "ogi init    # 以表的所有者运行：重建只增触发器（原有 --writer-role/--reader-role 一并给出）",
             "ogi audit verify" + (f" --checkpoint {checkpoint}" if checkpoint else " [--checkpoint 检查点文件]")
             + "    # 重新核验全部哈希链、日志和文书"]
    result = {"backend": "postgresql", "file": shown_full, "staging": shown_full, "database": describe_url(_pg_parts(url)[0]),
              "verified": True, "current_readable": live_where is not None, "sha256": digest, "log": log,
              "checkpoint": cp, "next_steps": steps, **checked}
    if not yes:
        against = f"，日志延续检查点（{cp['size']} 条）" if cp else ""
        raise InputError(f"数据库 {shown} 核验通过（{checked['cases']} 件案件、{checked['events']} 条办理记录，哈希链完好{against}）。"
                         "加 --yes 将在该库中记录本次恢复，再由数据库管理员切换到该库；当前数据库不会被改动",
                         details={"check": result})
    from sqlalchemy.exc import SQLAlchemyError

    from .db import get_engine
    from .schema import upgrade

    try:
        upgrade(staging)  # an older backup is brought to the current schema
        leaf = _after_restore(staging, live_rows, log, digest, actor, cp)
        after = verify_history(staging)
    except SQLAlchemyError as exc:
        raise StorageError(f"无法在数据库 {shown} 中记录本次恢复（{_pg_first_line(exc)}）；当前数据库未被改动") from None
    finally:
        get_engine(staging).dispose()
        get_engine(staging, create=True).dispose()
    return {**result, "restored": True, "kept_as": None, "restore_leaf": leaf, "after": after}


# --------------------------------------------------------------------------- use cases

def backup(login: str | None, out: str | None = None) -> dict:
    _admin(login, "备份数据库")
    url = database_url()
    live = sqlite_path(url)
    if live is None:
        if url.startswith("sqlite"):
            raise InputError("内存数据库无法备份")
        return _pg_recipe(url, out)
    if not live.exists():
        raise StorageError(f"数据库文件 {live} 不存在：没有可备份的数据（请先运行“ogi init”）")
    dest = Path(out).expanduser() if out else home_dir() / "backups" / f"ogi-{_stamp()}.db"
    if dest.exists():
        raise InputError(f"备份文件 {dest} 已存在：请换一个文件名（备份从不覆盖已有文件）")
    if dest.resolve() == live.resolve():
        raise InputError("备份文件不能是数据库文件本身")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    t0 = time.perf_counter()
    try:
        _copy_sqlite(live, tmp)
        checked = check_database_file(tmp, dest)
        os.replace(tmp, dest)
    except sqlite3.Error as exc:
        raise StorageError(f"备份失败（{exc}），未生成备份文件，请稍后重试") from None
    except OSError as exc:
        raise StorageError(f"无法写入备份文件 {dest}：{os_reason(exc)}；请检查目录权限或磁盘空间") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return {"backend": "sqlite", "ran": True, "file": str(dest), "database": str(live),
            "bytes": dest.stat().st_size, "sha256": sha256_file(dest), "seconds": round(time.perf_counter() - t0, 3),
            "verified": True, **checked}


def _count_cases(live: Path) -> int | None:
    """The number of cases in the live database; None when it is missing or unreadable."""
    if not live.exists():
        return None
    try:
        con = _connect(live)
        try:
            return con.execute("SELECT count(*) FROM cases").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error:
        return None  # a broken live database: restoring is exactly what is needed


def _keep_live(live: Path) -> Path | None:
    """Keep the live database as `<name>.<time>[-n].bak` before a restore; its path, or None."""
    if not live.exists():
        return None
    kept = live.with_name(f"{live.name}.{_stamp()}.bak")
    n = 1
    while kept.exists():
        kept = live.with_name(f"{live.name}.{_stamp()}-{n}.bak")
        n += 1
    try:
        _copy_sqlite(live, kept)
    except sqlite3.Error:
        shutil.copyfile(live, kept)  # unreadable live database: keep its bytes as they are
    return kept


def _copy_into_live(work: Path, live: Path) -> None:
    """The checked copy into the live database through the backup API (readers see old or new)."""
    src = sqlite3.connect(str(work), isolation_level=None)
    try:
        dst = _connect(live)
        try:
            src.backup(dst)  # page by page inside one write transaction of the live file
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def _live_checkpoints(live: Path) -> list[tuple]:
    """The checkpoints recorded in the live database, oldest first: (size, root, note, made_at,
    made_by). Empty when it is missing, unreadable or older than the log (restoring is then
    exactly what is needed)."""
    if not live.exists():
        return []
    try:
        con = _connect(live)
        try:
            return con.execute("SELECT size, root, note, made_at, made_by FROM ledger_checkpoint ORDER BY id").fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def _checkpoint_to_keep(live_rows: list[tuple], checkpoint: str | None, key: str | None) -> dict | None:
    """The checkpoint the backup's log must extend: the file given (its signature checked with
    `key`, else the instance's key), else the newest one recorded in the current database."""
    if checkpoint is not None:
        from ..ledger.store import read_checkpoint

        cp, _used, source = read_checkpoint(checkpoint, key)
        return {"size": cp.size, "root": cp.root.hex(), "time": cp.time.isoformat() if cp.time else None,
                "source": "file", "path": checkpoint, "key_source": source}
    if key is not None:
        raise InputError("--key 只在核验检查点时使用：请同时用 --checkpoint 指定检查点文件")
    if not live_rows:
        return None
    size, root, _note, made_at, _by = live_rows[-1]
    return {"size": int(size), "root": root, "time": made_at, "source": "database", "path": None}


def _check_log(work: Path, source: Path, cp: dict | None) -> dict:
    """The backup's log: intact, and extending the checkpoint `cp`; {"size", "root"} or InputError."""
    from ..ledger.store import file_extends, file_log

    con = sqlite3.connect(str(work), isolation_level=None)
    try:
        size, root, problems = file_log(con)
        if problems:
            raise InputError(f"备份文件 {source} 的日志不完整（{problems[0]}），不能用于恢复；当前数据库未被改动")
        if cp is not None:
            why = file_extends(con, cp["size"], cp["root"])
            if why is not None:
                shown = f"检查点文件 {cp['path']}" if cp["path"] else "当前数据库中最新的检查点"
                raise InputError(f"拒绝恢复 {source}：{why}（对照{shown}，签发于 {cp['time']}）；"
                                 "请改用不早于该检查点的完好备份，当前数据库未被改动")
    finally:
        con.close()
    return {"size": size, "root": root.hex()}


def _after_restore(url: str, live_rows: list[tuple], log: dict, sha256: str, actor: str, cp: dict | None) -> dict:
    """In the restored database: the checkpoints the replaced database had recorded (those the
    backup's log covers) and the `restore` leaf, in one transaction. The leaf's index."""
    from ..ledger.store import append_leaf, restore_body
    from . import rows
    from .db import write_session

    with write_session(url) as s:
        db = rows.of_session(s)
        have = {r[0] for r in db.all("SELECT note FROM ledger_checkpoint")}
        for size, root, note, made_at, made_by in live_rows:
            if note not in have and int(size) <= log["size"]:
                rows.insert_checkpoint(db, int(size), root, note, made_at, made_by or "")
        when = now_shanghai().isoformat()
        body = restore_body(sha256, log["size"], log["root"], actor, when, cp)
        idx = append_leaf(db, "restore", log["size"], body)
    return {"idx": idx, "recorded_at": when}


def restore(login: str | None, file: str, yes: bool = False, checkpoint: str | None = None,
            key: str | None = None) -> dict:
    _cfg, actor = _admin(login, "恢复数据库")
    url = database_url()
    live = sqlite_path(url)
    if live is None:
        if url.startswith("sqlite"):
            raise InputError("内存数据库无法恢复")
        if _is_pg_url(file):  # the staging database the DBA restored the dump into
            return _restore_pg(actor.login, url, file, yes, checkpoint, key)
        # pg_restore is the DBA's: the recipe (into a new staging database, then `ogi restore URL`)
        return _pg_recipe(url, None, restore_file=str(Path(file).expanduser()))
    if _is_pg_url(file):
        raise InputError("当前实例使用 SQLite 数据库：请指定 ogi backup 生成的备份文件（数据库 URL 只用于 PostgreSQL 实例）")
    source = Path(file).expanduser()
    if not source.is_file():
        raise NotFound(f"备份文件 {source} 不存在")
    if live.exists() and source.resolve() == live.resolve():
        raise InputError("要恢复的文件就是当前数据库本身")
    live_rows = _live_checkpoints(live)  # read before anything is replaced
    cp = _checkpoint_to_keep(live_rows, checkpoint, key)
    live.parent.mkdir(parents=True, exist_ok=True)
    work = live.with_name(f".{live.name}.restore-{os.getpid()}")
    try:
        shutil.copyfile(source, work)  # check a private copy: the backup file itself stays untouched
        checked = check_database_file(work, source)
        log = _check_log(work, source, cp)
        sha256 = sha256_file(work)
        current = _count_cases(live)
        result = {"backend": "sqlite", "file": str(source), "database": str(live), "verified": True,
                  "current_cases": current, "sha256": sha256, "log": log, "checkpoint": cp, **checked}
        if not yes:
            now = f"当前数据库 {live}（{current if current is not None else '无法读取'} 件案件）" if live.exists() else f"数据库 {live}"
            against = f"，日志延续检查点（{cp['size']} 条）" if cp else ""
            raise InputError(f"备份文件核验通过（{checked['cases']} 件案件、{checked['events']} 条办理记录，哈希链完好{against}）。"
                             f"恢复将替换{now}，原数据库会另存为 .bak；确认请加 --yes",
                             details={"check": result})
        kept = _keep_live(live)
        _copy_into_live(work, live)
    except sqlite3.Error as exc:
        raise StorageError(f"恢复失败（{exc}），当前数据库未被替换，请稍后重试") from None
    finally:
        if work.exists():
            work.unlink()
    from .schema import upgrade

    upgrade(url)  # an older backup is brought to the current schema
    leaf = _after_restore(url, live_rows, log, sha256, actor.login, cp)
    after = verify_history(url)
    return {**result, "restored": True, "kept_as": str(kept) if kept else None, "restore_leaf": leaf, "after": after}
