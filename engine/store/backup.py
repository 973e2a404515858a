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

PostgreSQL: ogi does not run pg_dump itself. The agency's PostgreSQL belongs to its DBA (its own
backup regime, credentials that must never appear on a command line, pg_dump matching the server
version); `ogi backup` prints the pg_dump / pg_restore commands for the configured database with
the password masked, and the verification step (`ogi audit verify`) to run after a restore.
Letter files (OGI_HOME/letters) are not in the database: back that directory up alongside it.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

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

def _pg_recipe(url: str, out: str | None, *, restore_file: str | None = None) -> dict:
    parts = urlsplit(url)
    libpq = "postgresql://" + parts.netloc + parts.path
    schema = None
    for opt in parse_qs(parts.query).get("options", []):
        for token in opt.split():
            if token.startswith("-csearch_path="):
                schema = token.split("=", 1)[1].split(",")[0]
    shown = describe_url(libpq)
    dump = out or f"ogi-{_stamp()}.dump"
    schema_opt = f" --schema={schema}" if schema else ""
    recipe = [
        f"pg_dump --format=custom --no-owner{schema_opt} --file {dump} \"{shown}\"",
        # no --schema here: the dump holds only that schema, and pg_restore must recreate it too
        f"pg_restore --clean --if-exists --no-owner --dbname \"{shown}\" {restore_file or dump}",
        "ogi audit verify    # 恢复后重新核验全部哈希链和文书",
    ]
    return {"backend": "postgresql", "database": shown, "ran": False, "file": restore_file or dump,
            "recipe": recipe,
            "note": "PostgreSQL 数据库由数据库管理员按其备份制度备份；ogi 不代为运行 pg_dump（避免在命令行暴露口令、"
                    "版本须与服务器一致）。请将 *** 换成实际口令（或使用 ~/.pgpass），并同时备份文书目录。"}


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
    source = Path(file).expanduser()
    if live is None:
        if url.startswith("sqlite"):
            raise InputError("内存数据库无法恢复")
        # PostgreSQL: pg_restore is the DBA's; `ogi audit verify --checkpoint` afterwards checks the log
        return _pg_recipe(url, None, restore_file=str(source))
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
