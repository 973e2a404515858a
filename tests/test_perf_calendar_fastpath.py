"""The precomputed fast path of WorkCalendar (add / add_marked / count inside the loaded run of
years) gives exactly the answers of the general path, official and provisional, with and
without gaps between loaded years. A correctness check: nothing here is timed."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ogi.calendars import CalendarHorizonError, WorkCalendar, bundled_years

YEARS = {y.year: y for y in bundled_years()}



def _pair(years):
    fast = WorkCalendar(years)
    slow = WorkCalendar(years)
    slow._fast_cum = {}  # the general path only
    return fast, slow


CALENDARS = {
    "all": _pair(YEARS.values()),
    "gap": _pair([YEARS[2024], YEARS[2026]]),
    "one": _pair([YEARS[2025]]),
}


def _outcome(fn):
    try:
        return ("ok", fn())
    except CalendarHorizonError as exc:
        return ("horizon", exc.missing_years)
    except ValueError as exc:
        return ("value", str(exc))


days = st.dates(dt.date(2022, 10, 1), dt.date(2028, 3, 31))


@pytest.mark.parametrize("name", sorted(CALENDARS))
@settings(max_examples=300, deadline=None)
@given(d=days, d2=days, n=st.integers(-1, 300), prov=st.booleans())
def test_fast_path_equals_general_path(name, d, d2, n, prov):
    fast, slow = CALENDARS[name]
    for cal_call in (
        lambda c: c.add(d, n, allow_provisional=prov),
        lambda c: c.add_marked(d, n, allow_provisional=prov),
        lambda c: c.count(d, d2, allow_provisional=prov),
    ):
        got, want = _outcome(lambda: cal_call(fast)), _outcome(lambda: cal_call(slow))
        assert got == want
        if got[0] == "ok" and isinstance(got[1], dt.date):
            assert type(got[1]) is type(want[1])


@pytest.mark.parametrize("name", sorted(CALENDARS))
def test_fast_path_equals_general_path_on_every_day(name):
    fast, slow = CALENDARS[name]
    d = dt.date(2023, 12, 1)
    while d <= dt.date(2027, 1, 10):
        for n in (1, 7, 15, 20, 40):
            for prov in (False, True):
                assert _outcome(lambda: fast.add_marked(d, n, allow_provisional=prov)) == \
                    _outcome(lambda: slow.add_marked(d, n, allow_provisional=prov))
        assert _outcome(lambda: fast.count(d, d + dt.timedelta(days=30))) == \
            _outcome(lambda: slow.count(d, d + dt.timedelta(days=30)))
        d += dt.timedelta(days=1)
