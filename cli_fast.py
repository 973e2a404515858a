"""The fast start of `ogi case show REF [--json] [--as LOGIN]` (the command a clerk runs most).

cli.run() offers argv here before it imports Typer. This path takes the command only when argv
has exactly that shape (options in any order, `--as=LOGIN` too) and the database is an existing
SQLite file; it then reads through the standard library's sqlite3 (engine.rows, the same queries
as the normal path) and builds the same dict (engine.summary.show_on, which api.show also
calls), and prints it with the same printers (commands.common.print_json,
commands.render.print_case_full). Typer, pydantic, rich, SQLAlchemy and SQLModel are never
imported.

Errors say what the normal path says: configuration, user and case errors (OgiError, calendar
errors) go through the same mapping as cli.main (commands.errors_out); anything else raised
before output starts (an SQLite error, a bug) returns None, and the command is run again the
normal way, which reports it in its own words. None is also the answer for any other argv
(help, typos, extra options: Typer's messages stay Typer's). OGI_NO_FAST=1 turns this path off.
"""
from __future__ import annotations

import os


def parse(argv: list[str]) -> tuple[str, str | None, bool] | None:
    """(ref, login, json) for `case show REF [--json] [--as LOGIN]`, else None."""
    if len(argv) < 3 or argv[0] != "case" or argv[1] != "show":
        return None
    ref: str | None = None
    login: str | None = None
    json_ = False
    rest = argv[2:]
    i = 0
    while i < len(rest):
        tok = rest[i]
        if tok == "--json" and not json_:
            json_ = True
        elif tok == "--as" and login is None and i + 1 < len(rest):
            i += 1
            login = rest[i]
            if not login or login.startswith("-"):
                return None
        elif tok.startswith("--as=") and login is None and len(tok) > 5:
            login = tok[5:]
        elif tok.startswith("-") or ref is not None or not tok.strip():
            return None  # any other option, "--", a second argument, an empty one: Typer decides
        else:
            ref = tok
        i += 1
    if ref is None:
        return None
    return ref, login, json_


def sqlite_file() -> str | None:
    """The configured database if it is an existing SQLite file, else None."""
    from .engine.store.db import database_url, sqlite_path

    path = sqlite_path(database_url())
    if path is None or "?" in str(path) or not path.is_file():
        return None
    return os.path.abspath(path)


def connect(path: str):
    """A read connection as the engine's (engine.db: busy timeout 15 s; the file is in WAL mode
    since `ogi init`), opened without creating the file, in autocommit mode: the caller begins
    the read transaction itself so that every query sees one snapshot."""
    import sqlite3
    from urllib.parse import quote

    from .engine.store.db import SQLITE_BUSY_TIMEOUT_MS

    conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True, timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                           isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    return conn


def try_fast(argv: list[str]) -> int | None:
    """The exit code of `ogi case show ...` run here, or None: run it through cli.main."""
    shape = parse(argv)
    if shape is None:
        return None
    try:
        path = sqlite_file()
    except Exception:  # noqa: BLE001 - whatever it is, the normal path reports it
        return None
    if path is None:
        return None
    return case_show(argv, path, *shape)


def case_show(argv: list[str], path: str, ref: str, login: str | None, json_: bool) -> int | None:
    from .calendars import CalendarHorizonError, YearFileError
    from .commands import errors_out
    from .errors import OgiError

    try:
        result = _read(path, ref, login)
    except (OgiError, CalendarHorizonError, YearFileError, KeyboardInterrupt) as exc:
        return errors_out.handle(exc, argv)
    except Exception:  # noqa: BLE001 - nothing printed yet: let the normal path run and report it
        return None
    try:
        if json_:
            from .commands.common import print_json

            print_json(result)
        else:
            from .commands.render import print_case_full

            print_case_full(result)
    except (Exception, KeyboardInterrupt) as exc:  # noqa: BLE001 - output started: report, as cli.main would
        return errors_out.handle(exc, argv)
    return 0


def _read(path: str, ref: str, login: str | None) -> dict:
    """api.show(login, ref) on a bare sqlite3 connection: the same checks in the same order
    (configuration, user, then the database)."""
    from .engine.config import load_config
    from .engine.identity import resolve_actor
    from .engine.store.rows import Db
    from .engine.cases.summary import show_on

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    conn = connect(path)
    try:
        conn.execute("BEGIN")
        return show_on(Db(conn, sqlite=True), cfg, actor, ref)
    finally:
        conn.close()  # ends the read transaction
