"""The fast start of `ogi case show REF [--json] [--as LOGIN]` (the command a clerk runs most).

cli.run() offers argv here before it imports Typer. This path takes the command only when argv
has exactly that shape (options in any order, `--as=LOGIN` too) and the database is an existing
SQLite file; it then reads through the standard library's sqlite3 (api.show_sqlite_file: the
same queries as the normal path, engine/store/rows.py) and builds the same dict (the
show_on that api.show also calls), and prints it with the same printers (commands.common.print_json,
commands.render.print_case_full). Typer, pydantic, rich, SQLAlchemy and SQLModel are never
imported.

Errors say what the normal path says: configuration, user and case errors (OgiError, calendar
errors) go through the same mapping as cli.main (commands.errors_out); anything else raised
before output starts (an SQLite error, a bug) returns None, and the command is run again the
normal way, which reports it in its own words. None is also the answer for any other argv
(help, typos, extra options: Typer's messages stay Typer's). OGI_NO_FAST=1 turns this path off.
"""
from __future__ import annotations



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


def try_fast(argv: list[str]) -> int | None:
    """The exit code of `ogi case show ...` run here, or None: run it through cli.main."""
    shape = parse(argv)
    if shape is None:
        return None
    try:
        from .engine import api

        path = api.sqlite_file()
    except Exception:  # noqa: BLE001 - whatever it is, the normal path reports it
        return None
    if path is None:
        return None
    return case_show(argv, path, *shape)


def case_show(argv: list[str], path: str, ref: str, login: str | None, json_: bool) -> int | None:
    from .commands import errors_out
    from .engine import api
    from .errors import OgiError

    try:
        result = api.show_sqlite_file(path, login, ref)
    except (OgiError, KeyboardInterrupt) as exc:
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
