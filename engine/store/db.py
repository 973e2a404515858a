"""Database engine and transactions: SQLite (default file, WAL) or PostgreSQL (OGI_DATABASE_URL).

One use case = one transaction. Writers on SQLite start with BEGIN IMMEDIATE: a deferred BEGIN
upgrades its lock later and fails with "database is locked" under contention even with a
busy timeout. On PostgreSQL writers lock the case row with SELECT ... FOR UPDATE.

The ways into the database, all here:
    write_db()        steps on the hot path (register, run_step): plain SQL through rows.Db
    write_session()   the ORM writers (letters, challenges, calendar import, warnings)
    read_session()    ORM reads: lists, reports, audits
    file_session(url) ORM reads of a database file that is not the live one (backup checks)
    sqlite_read_connection(path)  `ogi case show`'s fast start: bare sqlite3, no SQLAlchemy
Besides: schema.py borrows get_engine() for Alembic, backup.py copies SQLite files with sqlite3's
backup API, and notify/scheduler.py holds a get_engine() connection for its PostgreSQL advisory lock.
"""
from __future__ import annotations

import os
import weakref
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from ...errors import StorageError

SQLITE_BUSY_TIMEOUT_MS = 15000


def database_url() -> str:
    url = os.environ.get("OGI_DATABASE_URL")
    if url:
        if url.startswith("postgresql://") or url.startswith("postgres://"):
            # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        return url
    from ..config import home_dir

    return _sqlite_url(home_dir())


@lru_cache(maxsize=8)
def _sqlite_url(home: Path) -> str:
    return f"sqlite:///{home / 'ogi.db'}"


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_path(url: str) -> Path | None:
    if not is_sqlite(url):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    return Path(path) if path and path != ":memory:" else None


def describe_url(url: str) -> str:
    """The URL without a password, for messages."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def get_engine(url: str | None = None, *, create: bool = False):
    """The engine for `url` (default: the configured database), cached per URL."""
    return _engine_for(url or database_url(), create)


@lru_cache(maxsize=16)
def _engine_for(url: str, create: bool):
    from sqlalchemy import create_engine, event

    path = sqlite_path(url)
    if path is not None:
        if not create and not path.exists():
            raise StorageError(f"数据库文件 {path} 不存在：请先运行“ogi init”初始化（或设置 OGI_HOME / OGI_DATABASE_URL 指向已有数据库）")
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            # FULL: a step reported saved survives a power cut too. With NORMAL, WAL may roll back
            # the last commits after an OS crash, and a 文号 already printed on a delivered letter
            # would be issued a second time. One fsync per step (~0.1-5 ms) is nothing to a clerk.
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            mode = "IMMEDIATE" if conn.get_execution_options().get("ogi_write") else "DEFERRED"
            conn.exec_driver_sql(f"BEGIN {mode}")

        _ENGINES.add(engine)
        return engine
    engine = create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 10})
    _ENGINES.add(engine)
    return engine


_ENGINES: "weakref.WeakSet" = weakref.WeakSet()  # every engine made here that is still alive


def dispose_engines() -> None:
    """Close the pooled connections of every engine (SQLite checkpoints its WAL on the last close)."""
    for engine in list(_ENGINES):
        engine.dispose()


@contextmanager
def write_session(url: str | None = None) -> Iterator["Session"]:  # noqa: F821
    """ORM writers and the readers that also write: one transaction, commit on success, roll back
    on any error. Steps use write_db instead."""
    from sqlmodel import Session

    engine = get_engine(url).execution_options(ogi_write=True)
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_db(url: str | None = None) -> Iterator["Db"]:  # noqa: F821
    """Steps on the hot path: one writing transaction on the pooled DBAPI connection itself
    (rows.Db), without an ORM session. BEGIN IMMEDIATE on SQLite; psycopg begins implicitly."""
    from .rows import Db

    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        sqlite = engine.dialect.name == "sqlite"
        db = Db(raw.driver_connection, sqlite=sqlite)
        if sqlite:
            db.run("BEGIN IMMEDIATE")
        try:
            yield db
            raw.driver_connection.commit()
        except BaseException:
            raw.driver_connection.rollback()
            raise
    finally:
        raw.close()  # back to the pool


@contextmanager
def read_session(url: str | None = None) -> Iterator["Session"]:  # noqa: F821
    """ORM reads (lists, reports, audits): a session that never commits."""
    from sqlmodel import Session

    with Session(get_engine(url), expire_on_commit=False) as session:
        yield session


@contextmanager
def file_session(url: str) -> Iterator["Session"]:  # noqa: F821
    """ORM reads of a database that is not the live one (a backup being checked): a private,
    uncached engine without ogi's connect hooks (the file's journal mode stays as it is),
    disposed on exit."""
    from sqlalchemy import create_engine
    from sqlmodel import Session

    engine = create_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()


def describe_storage_error(exc: BaseException) -> str | None:
    """A Chinese one-liner for database failures, or None if `exc` is not one."""
    mod = type(exc).__module__ or ""
    if not (mod.startswith("sqlalchemy") or mod.startswith("sqlite3") or mod.startswith("psycopg")):
        return None
    text = str(getattr(exc, "orig", exc) or exc).lower()
    where = describe_url(database_url())
    if "locked" in text or "busy" in text:
        return "数据库正被其他人写入（已等待 15 秒仍未释放），本次操作未保存，请稍后重试。"
    if "no such table" in text or "does not exist" in text and "relation" in text:
        return f"数据库 {where} 尚未初始化或版本过旧：请运行“ogi init”（已有数据库会升级到最新结构，数据不会丢失）。"
    if "unable to open" in text or "readonly" in text or "read-only" in text:
        return f"无法写入数据库 {where}：请检查文件和所在目录的权限。"
    if "connection" in text or "could not connect" in text or "refused" in text or "timeout" in text:
        return f"无法连接数据库 {where}：请确认数据库服务已启动、地址和账号正确。本次操作未保存。"
    if "disk" in text and ("full" in text or "i/o" in text):
        return "磁盘已满或读写出错，本次操作未保存：请腾出空间后重试。"
    if "malformed" in text or "not a database" in text:
        return f"数据库文件 {where} 已损坏或不是 ogi 数据库：请用“ogi restore”从备份恢复。"
    return f"数据库操作失败（{type(exc).__name__}），本次操作未保存：{str(exc).splitlines()[0][:200]}"


def existing_sqlite_file() -> str | None:
    """The configured database if it is an existing SQLite file, else None."""
    import os

    path = sqlite_path(database_url())
    if path is None or "?" in str(path) or not path.is_file():
        return None
    return os.path.abspath(path)


def sqlite_read_connection(path: str):
    """A read connection as the engine's (busy timeout; the file is in WAL mode since `ogi init`),
    opened without creating the file, in autocommit mode: the caller begins the read
    transaction itself so that every query sees one snapshot. No SQLAlchemy: `ogi case show`."""
    import sqlite3
    from urllib.parse import quote

    conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return conn
