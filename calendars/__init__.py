"""The official Chinese working-day calendar (pure: data files in, answers out)."""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

from .workcalendar import CalendarHorizonError, DayNote, Due, WorkCalendar
from .yearfile import Holiday, YearData, YearFileError, parse_year_file

__all__ = [
    "CalendarHorizonError",
    "DayNote",
    "Due",
    "Holiday",
    "WorkCalendar",
    "YearData",
    "YearFileError",
    "bundled_years",
    "parse_year_file",
]


def bundled_years() -> list[YearData]:
    """The year files shipped with ogi (calendars/data/YYYY.toml)."""
    return list(_bundled_years())


@lru_cache(maxsize=1)
def _bundled_years() -> tuple[YearData, ...]:
    """Parsed once per process: the files ship with the code and YearData is immutable."""
    out = []
    for entry in sorted(resources.files(__package__).joinpath("data").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            out.append(parse_year_file(entry.read_text("utf-8"), int(entry.name[:4])))
    return tuple(out)
