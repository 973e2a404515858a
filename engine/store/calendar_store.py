"""Where the calendar comes from: the year files shipped with ogi, overlaid by the years an
agency imported into its database (shared by every clerk of that database).

`import_year` is the use case behind `ogi calendar import`: validate the State Council notice,
install it in `calendar_year`, and recompute, in the same transaction, every case (open or
closed) whose periods reach into the year, so that provisional due dates become official
(RULES.md "NO DATA") and each change is logged in that case's history; a closed case whose
answer turns late or timely is then reported by `ogi check` (engine/legal/compliance.py).
"""
from __future__ import annotations

import datetime as dt
import hashlib

from ...calendars import WorkCalendar, YearData, YearFileError, bundled_years, parse_year_file

SHIPPED, IMPORTED = "shipped", "imported"
SOURCE_LABELS = {SHIPPED: "随软件提供", IMPORTED: "本机关导入"}


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _imported_rows(session) -> list:
    from sqlmodel import select

    from .tables import CalendarYear

    return list(session.exec(select(CalendarYear).order_by(CalendarYear.year)).all())


def build_calendar(imported: list[YearData]) -> WorkCalendar:
    years = {y.year: y for y in bundled_years()}
    years.update({y.year: y for y in imported})  # an imported notice supersedes the shipped one
    return WorkCalendar(years.values())


def _database_ready() -> bool:
    """False when the default SQLite file does not exist yet (before `ogi init`)."""
    from .db import database_url, sqlite_path

    path = sqlite_path(database_url())
    return path is None or path.exists()


def load_calendar(session=None) -> WorkCalendar:
    """Bundled years plus the database's imported years (when a database is reachable)."""
    if session is not None:
        return _calendar_of(session)
    return _read(_calendar_of)


# --------------------------------------------------------------------------- listing

def describe_years(session=None) -> dict:
    """The loaded years, where each comes from, and the horizon (for `ogi calendar years`)."""
    rows = {r.year: r for r in _imported_rows(session)} if session is not None else {}
    shipped = {y.year: y for y in bundled_years()}
    cal = build_calendar([parse_year_file(r.source, r.year) for r in rows.values()])
    out = []
    for year in cal.loaded_years:
        data, row = cal.years[year], rows.get(year)
        source = IMPORTED if row else SHIPPED
        out.append({
            "year": year,
            "notice": data.notice,
            "number": data.number,
            "published": data.published,
            "source": source,
            "source_label": SOURCE_LABELS[source],
            "sha256": row.sha256 if row else sha256_text(data.source_text),
            "imported_at": row.imported_at if row else None,
            "imported_by": row.imported_by if row else None,
            "supersedes_shipped": bool(row and year in shipped),
            "days_off": len(data.days_off),
            "makeup_workdays": len(data.makeup_workdays),
        })
    first, last = cal.horizon
    return {
        "years": out,
        "horizon": {"first": first, "last": last},
        "gaps": [y for y in range(first.year, last.year + 1) if y not in cal.years],
    }


def _read(fn):
    """Run fn(session) in one read transaction; fn(None) before `ogi init` (shipped years only)."""
    if not _database_ready():
        return fn(None)
    from .db import read_session

    with read_session() as s:
        return fn(s)


def _calendar_of(session) -> WorkCalendar:
    """The compiled calendar of the bundled years overlaid by the database's imported years.

    Every step needs it, so the compiled WorkCalendar is cached per process, keyed by the
    imported years and the SHA-256 of their text (recomputed here, not read from the row): an
    import, a replacement or another process's import changes the key, and the next step
    compiles the new calendar. Only (year, source) is read; a hit parses and compiles nothing.
    """
    if session is None:
        return _compiled(())
    from .rows import of_session

    return calendar_of_db(of_session(session))


def calendar_of_db(db) -> WorkCalendar:
    """_calendar_of on a plain connection (rows.Db): what `ogi case show` starts with."""
    from .rows import calendar_sources

    rows = calendar_sources(db)
    key = tuple((year, sha256_text(source)) for year, source in rows)
    cal = _COMPILED.get(key)
    if cal is None:
        cal = _compiled(key, {year: source for year, source in rows})
    return cal


_COMPILED: dict[tuple, WorkCalendar] = {}  # WorkCalendar answers are pure: safe to share


def _compiled(key: tuple, sources: dict[int, str] | None = None) -> WorkCalendar:
    cal = _COMPILED.get(key)
    if cal is None:
        cal = build_calendar([parse_year_file(sources[year], year) for year, _ in key])
        if len(_COMPILED) >= 16:
            _COMPILED.clear()
        _COMPILED[key] = cal
    return cal


def list_years() -> dict:
    """Front door of `ogi calendar years`."""
    return _read(describe_years)


# --------------------------------------------------------------------------- import

def _check_neighbours(data: YearData, cal: WorkCalendar) -> None:
    """A notice may reach into the previous December; the two notices must not both list a day."""
    mine = {**data.days_off, **data.makeup_workdays}
    for other_year in (data.year - 1, data.year + 1):
        other = cal.years.get(other_year)
        if other is None:
            continue
        theirs = {**other.days_off, **other.makeup_workdays}
        for d in sorted(set(mine) & set(theirs)):
            raise YearFileError(
                f"{data.year} 年日历文件中的 {d}（“{mine[d]}”）已由已载入的 {other_year} 年通知"
                f"（{other.notice_label}）安排为“{theirs[d]}”，两份通知相互冲突，请核对"
            )


def _previous_notice(session, year: int, before: WorkCalendar) -> tuple:
    """The year's `calendar_year` row (locked; None if never imported) and what is loaded for the
    year now: the imported or the shipped notice, or None."""
    from .tables import CalendarYear

    row = session.get(CalendarYear, year, with_for_update=True)
    shipped = {y.year: y for y in bundled_years()}
    if row is not None:
        previous = {"source": IMPORTED, "sha256": row.sha256, "notice": before.years[year].notice_label,
                    "imported_at": row.imported_at, "imported_by": row.imported_by}
    elif year in shipped:
        previous = {"source": SHIPPED, "sha256": sha256_text(shipped[year].source_text),
                    "notice": shipped[year].notice_label, "imported_at": None, "imported_by": None}
    else:
        previous = None
    return row, previous


def _store_notice(session, row, year: int, text: str, digest: str, login: str) -> str:
    """Insert the year's row (or replace `row`'s notice) and flush; the import time. ConflictError
    when another administrator's import of the same year got there first."""
    from sqlalchemy.exc import IntegrityError

    from ...errors import ConflictError
    from ..identity import now_shanghai
    from .tables import CalendarYear

    now = now_shanghai().isoformat()
    if row is None:
        row = CalendarYear(year=year, source=text, sha256=digest, imported_at=now, imported_by=login)
    else:
        row.source, row.sha256, row.imported_at, row.imported_by = text, digest, now, login
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"另一位管理员刚刚导入了 {year} 年的节假日安排，本次未保存：请用“ogi calendar years”查看后再决定是否 --replace") from None
    return now


def _notice_window(data: YearData, before: WorkCalendar) -> tuple[dt.date, dt.date]:
    """The days whose status the new notice may change: its year, and the previous December
    days that it or the notice it replaces lists."""
    days = set(data.days_off) | set(data.makeup_workdays)
    old = before.years.get(data.year)
    if old is not None:
        days |= set(old.days_off) | set(old.makeup_workdays)
    return min([dt.date(data.year, 1, 1), *days]), dt.date(data.year, 12, 31)


def import_year(session, cfg, actor, text: str, replace: bool = False, *,
                expected_year: int | None = None) -> dict:
    """Validate and install one year's notice, then recompute every case the year touches, open or
    closed (one transaction); `changed_cases` lists the changed ones (`"closed": True` marks a
    closed case).

    Refuses, changing nothing: a user without the admin role, a bad file (YearFileError naming the
    problem), a year already loaded (shipped or imported) unless `replace`. Importing the very same
    file again is a no-op.
    """
    from ..cases.steps import recompute_open_cases
    from ...errors import InputError
    from ..identity import require_role

    require_role(actor, "admin", what="导入年度节假日安排")
    data = parse_year_file(text, expected_year)
    digest = sha256_text(text)
    year = data.year
    before = load_calendar(session)
    _check_neighbours(data, before)
    row, previous = _previous_notice(session, year, before)

    result = {
        "year": year, "notice": data.notice, "number": data.number, "published": data.published,
        "sha256": digest, "days_off": len(data.days_off), "makeup_workdays": len(data.makeup_workdays),
        "previous": previous, "replaced": False, "unchanged": False,
        "imported_at": None, "imported_by": actor.login, "changed_cases": [],
    }
    if previous is not None and previous["sha256"] == digest:
        result["unchanged"] = True  # the same notice, byte for byte: nothing to do
        return result
    if previous is not None and not replace:
        where = SOURCE_LABELS[previous["source"]]
        if previous["imported_by"]:
            where += f"，{previous['imported_by']} 于 {previous['imported_at']} 导入"
        raise InputError(
            f"{year} 年的节假日安排已经载入（{previous['notice']}，{where}）；"
            f"确需以新文件替换的，请加 --replace 重新导入（涉及该年度的案件，无论是否办结，期限都将随之重新计算）"
        )

    # The import is a leaf of the agency's log (engine/ledger/store.py), in this transaction; its
    # index first (the log's lock), then the time the row and the leaf record.
    from ..ledger import store as ledger
    from .rows import of_session

    idx = ledger.next_index(of_session(session))
    now = _store_notice(session, row, year, text, digest, actor.login)
    ledger.append_leaf(of_session(session), "calendar", year,
                       ledger.calendar_body(year, digest, actor.login, actor.auth, now, previous is not None), idx)

    cal = load_calendar(session)
    # RULES.md NO DATA: provisional deadlines are recomputed, and each change logged, on import.
    why = f"导入 {year} 年节假日安排：{data.notice_label}（SHA-256 {digest[:12]}）"
    changes = recompute_open_cases(session, cfg, cal, actor, why, window=_notice_window(data, before))
    session.flush()
    result.update(replaced=previous is not None, imported_at=now, changed_cases=changes)
    return result


def import_file(login: str | None, text: str, replace: bool = False, *, expected_year: int | None = None) -> dict:
    """Front door of `ogi calendar import`: one transaction."""
    from ..config import load_config
    from .db import write_session
    from ..identity import resolve_actor

    cfg = load_config()
    actor = resolve_actor(cfg, login)
    with write_session() as s:
        return import_year(s, cfg, actor, text, replace, expected_year=expected_year)


# --------------------------------------------------------------------------- views

_WEEKDAY_CN = "一二三四五六日"


def weekday_cn(d: dt.date) -> str:
    return "星期" + _WEEKDAY_CN[d.weekday()]


def _notice_days(data: YearData, year: int) -> tuple[dict, dict, list[dict], list[dict]]:
    """Days off, make-up working days and holidays of `year` as its notice sets them, and the
    notice's days outside the year (the previous December)."""
    in_year = lambda d: d.year == year  # noqa: E731
    off = {d: n for d, n in data.days_off.items() if in_year(d)}
    makeup = {d: n for d, n in data.makeup_workdays.items() if in_year(d)}
    holidays = [{"name": h.name, "first": h.off[0], "last": h.off[-1], "days": len(h.off),
                 "workdays": list(h.workdays)} for h in data.holidays]
    before_year = sorted(
        [{"date": d, "name": n, "kind": "off"} for d, n in data.days_off.items() if not in_year(d)]
        + [{"date": d, "name": n, "kind": "makeup"} for d, n in data.makeup_workdays.items() if not in_year(d)],
        key=lambda x: x["date"])
    return off, makeup, holidays, before_year


def _estimated_days(year: int) -> tuple[dict, dict, list[dict], list[dict]]:
    """The same for a year without a notice: the provisional estimate (放假办法第二条)."""
    from ...calendars.statutory import statutory_days_off

    off = statutory_days_off(year)
    groups: dict[str, list[dt.date]] = {}
    for d, n in sorted(off.items()):
        groups.setdefault(n, []).append(d)
    holidays = [{"name": n, "first": ds[0], "last": ds[-1], "days": len(ds), "workdays": []}
                for n, ds in groups.items()]
    return off, {}, holidays, []


def _days_from_next_notice(nxt: YearData | None, year: int, off: dict, makeup: dict) -> list[dict]:
    """The next year's notice may place days in this December (e.g. a make-up Saturday): added to
    `off` and `makeup`, and returned as a list."""
    from_next = []
    if nxt is not None:
        for d, n in nxt.days_off.items():
            if d.year == year:
                off[d] = n
                from_next.append({"date": d, "name": n, "kind": "off"})
        for d, n in nxt.makeup_workdays.items():
            if d.year == year:
                makeup[d] = n
                from_next.append({"date": d, "name": n, "kind": "makeup"})
    return from_next


def year_overview(year: int, *, allow_provisional: bool = False) -> dict:
    """Everything `ogi calendar show YEAR` draws: the notice, days off, make-up working days.

    A year without a loaded notice raises CalendarHorizonError, or, when allowed, describes the
    provisional estimate (放假办法第二条, weekends off, no make-up days).
    """
    from ...calendars import CalendarHorizonError

    listing, cal = _read(lambda s: (describe_years(s), _calendar_of(s)))
    data = cal.years.get(year)
    if data is None and not allow_provisional:
        raise CalendarHorizonError([year])
    info = next((y for y in listing["years"] if y["year"] == year), None)
    off, makeup, holidays, before_year = _notice_days(data, year) if data is not None else _estimated_days(year)
    nxt = cal.years.get(year + 1)
    from_next = _days_from_next_notice(nxt, year, off, makeup)
    provisional = data is None
    total = cal.count(dt.date(year - 1, 12, 31), dt.date(year, 12, 31), allow_provisional=provisional)
    return {
        "year": year,
        "provisional": provisional,
        "notice": data.notice if data else None,
        "number": data.number if data else "",
        "published": data.published if data else None,
        "source": info["source"] if info else None,
        "source_label": info["source_label"] if info else None,
        "sha256": info["sha256"] if info else None,
        "imported_at": info["imported_at"] if info else None,
        "imported_by": info["imported_by"] if info else None,
        "holidays": holidays,
        "days_off": [{"date": d, "name": n, "weekday": weekday_cn(d)} for d, n in sorted(off.items())],
        "makeup_workdays": [{"date": d, "name": n, "weekday": weekday_cn(d)} for d, n in sorted(makeup.items())],
        "before_year": before_year,
        "from_next_notice": sorted(from_next, key=lambda x: x["date"]),
        "next_notice": nxt.notice_label if nxt and from_next else None,
        "workdays_total": total,
    }


def explain_period(start: dt.date, n: int, *, allow_provisional: bool = False) -> dict:
    """`ogi calendar explain`: every day of (start, add(start, n)] counted or skipped, with why."""
    cal = _read(_calendar_of)
    due = cal.add_marked(start, n, allow_provisional=allow_provisional)
    notes = cal.explain(start, n, allow_provisional=allow_provisional)
    days, skipped = [], {"weekend": 0, "holiday": 0}
    for note in notes:
        if note.counted is None:
            skipped["weekend" if note.reason.startswith("周") else "holiday"] += 1
        days.append({"date": note.date, "weekday": weekday_cn(note.date), "workday": note.counted is not None,
                     "counted": note.counted, "reason": note.reason, "provisional": note.provisional})
    years = range(start.year, due.date.year + 1) if n else ()
    notices = [{"year": y, "notice": cal.notice_for(y), "provisional": y not in cal.years} for y in years]
    try:
        start_reason = cal.day_reason(start, allow_provisional=True)
    except Exception:  # noqa: BLE001 - outside even the provisional range: not needed for the answer
        start_reason = ""
    return {
        "start": start, "start_weekday": weekday_cn(start), "start_reason": start_reason,
        "workdays": n, "due": due.date, "due_weekday": weekday_cn(due.date), "provisional": due.provisional,
        "calendar_days": (due.date - start).days,
        "skipped": sum(skipped.values()), "skipped_weekend": skipped["weekend"], "skipped_holiday": skipped["holiday"],
        "days": days, "notices": notices,
    }
