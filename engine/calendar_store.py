"""Where the calendar comes from: the year files shipped with ogi, overlaid by the years an
agency imported into its database (shared by every clerk of that database)."""
from __future__ import annotations

from ..calendars import WorkCalendar, YearData, bundled_years, parse_year_file


def imported_years(session) -> list[YearData]:
    from sqlmodel import select

    from .models import CalendarYear

    rows = session.exec(select(CalendarYear).order_by(CalendarYear.year)).all()
    return [parse_year_file(r.source, r.year) for r in rows]


def build_calendar(imported: list[YearData]) -> WorkCalendar:
    years = {y.year: y for y in bundled_years()}
    years.update({y.year: y for y in imported})  # an imported notice supersedes the shipped one
    return WorkCalendar(years.values())


def load_calendar(session=None) -> WorkCalendar:
    """Bundled years plus the database's imported years (when a database is reachable)."""
    if session is not None:
        return build_calendar(imported_years(session))
    from .db import database_url, sqlite_path

    url = database_url()
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return build_calendar([])
    from .db import read_session

    with read_session() as s:
        return build_calendar(imported_years(s))
