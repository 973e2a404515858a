"""The official Chinese working-day calendar (pure: data files in, answers out)."""
from __future__ import annotations

from functools import lru_cache

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
    return tuple(parse_year_file(text, int(name[:4])) for name, text in _year_files())


def _year_files() -> list[tuple[str, str]]:
    """(name, text) of calendars/data/*.toml, by name. From the package directory when there is
    one; importlib.resources (a dozen modules to import, a tenth of `ogi case show`'s start-up)
    only for an install that has none (a zip)."""
    import os

    here = os.path.join(os.path.dirname(__file__), "data")
    if os.path.isdir(here):
        out = []
        for name in sorted(os.listdir(here)):
            if name.endswith(".toml"):
                with open(os.path.join(here, name), encoding="utf-8") as fh:
                    out.append((name, fh.read()))
        return out
    from importlib import resources

    return [(e.name, e.read_text("utf-8"))
            for e in sorted(resources.files(__package__).joinpath("data").iterdir(), key=lambda e: e.name)
            if e.name.endswith(".toml")]
