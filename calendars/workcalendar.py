"""The official working-day calendar compiled into arrays (pure; no I/O).

WD rule (RULES.md): a day is a working day iff it is a make-up working day (调休) of its year,
or Monday-Friday and not an official day off. `add(start, n)` is the n-th working day strictly
after `start` (民法典第二百零一条: the starting day is not counted); `count(d1, d2)` is the
number of working days in (d1, d2]. Both are O(1) on prefix counts.

A computation that touches a year without a loaded notice raises CalendarHorizonError, or,
only when the caller allows it, uses the statutory days off of the 放假办法 with weekends off
and no make-up days, and marks the result provisional (RULES.md "NO DATA").
"""
from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable

from ..errors import CalendarHorizonError, CalendarRangeError
from .statutory import statutory_days_off
from .yearfile import YearData

PROVISIONAL_RANGE = (1990, 2099)
_WEEKDAY_CN = "一二三四五六日"


@dataclass(frozen=True)
class Due:
    date: dt.date
    provisional: bool

    def isoformat(self) -> str:
        return self.date.isoformat()


@dataclass(frozen=True)
class DayNote:
    """One day inside a counted period, for `explain`."""

    date: dt.date
    counted: int | None  # the working-day number, or None when skipped
    reason: str
    provisional: bool


class _Table:
    """Working-day flags for [first_year-01-01, last_year-12-31] with prefix counts."""

    def __init__(self, first_year: int, last_year: int, years: dict[int, YearData]):
        self.first = dt.date(first_year, 1, 1)
        self.last = dt.date(last_year, 12, 31)
        self.base = self.first.toordinal()
        size = self.last.toordinal() - self.base + 1
        # Weekends off: the first day's weekday gives the phase of the 7-day pattern.
        week = bytes(0 if (self.first.weekday() + i) % 7 >= 5 else 1 for i in range(7))
        flags = bytearray((week * (size // 7 + 1))[:size])
        self.labels: dict[int, str] = {}
        for y in range(first_year, last_year + 1):
            if y not in years:  # 放假办法第二条, no 调休: the provisional estimate
                for d, name in statutory_days_off(y).items():
                    flags[d.toordinal() - self.base] = 0
                    self.labels[d.toordinal()] = f"{name}（按放假办法推定）"
        for y in sorted(years):
            data = years[y]
            for d, name in data.days_off.items():
                self._set(flags, d, 0, f"{name}放假")
            for d, name in data.makeup_workdays.items():
                self._set(flags, d, 1, f"{name}调休上班")
        self.flags = bytes(flags)
        cum = array("l", bytes(8 * 0))
        workdays = array("l")
        total = 0
        for i, f in enumerate(self.flags):
            if f:
                total += 1
                workdays.append(i)
            cum.append(total)
        self.cum = cum  # cum[i] = working days in [first, first + i]
        self.workdays = workdays  # offsets of working days, ascending

    def _set(self, flags: bytearray, d: dt.date, value: int, label: str) -> None:
        i = d.toordinal() - self.base
        if 0 <= i < len(flags):
            flags[i] = value
            self.labels[d.toordinal()] = label


class _Block:
    """Precomputed answers inside the latest contiguous run of loaded years (the hot path).

    Inside that run every year has its notice, so no answer can be provisional, and the official
    and the provisional tables hold the same flags there (the statutory estimate of a missing
    year only touches days of that year). For lo = the day before the run and every day s in
    [lo, last day of the run], `cum[s]` (a dict keyed by the date: one hash lookup, no
    arithmetic, and a miss for anything outside) counts the working days in (lo, s]; `dates[k]`
    is the k-th working day after lo (index 0 unused), `dues[k]` the same as a non-provisional Due.
    """

    __slots__ = ("cum", "dates", "dues")

    def __init__(self, years: dict[int, YearData], table: _Table):
        last = max(years)
        first = last
        while first - 1 in years:
            first -= 1
        lo = dt.date(first, 1, 1).toordinal() - 1
        hi = dt.date(last, 12, 31).toordinal()
        cum: dict[dt.date, int] = {dt.date.fromordinal(lo): 0}
        dates: list[dt.date | None] = [None]
        total = 0
        for o in range(lo + 1, hi + 1):
            day = dt.date.fromordinal(o)
            if table.flags[o - table.base]:
                total += 1
                dates.append(day)
            cum[day] = total
        self.cum = cum
        self.dates = dates
        self.dues = [None] + [Due(d, False) for d in dates[1:]]


class WorkCalendar:
    """Answers is_workday / add / count / explain on the loaded State Council notices."""

    def __init__(self, years: Iterable[YearData]):
        self.years: dict[int, YearData] = {y.year: y for y in years}
        if not self.years:
            raise ValueError("WorkCalendar needs at least one year of data")
        self._official = _Table(min(self.years), max(self.years), self.years)
        block = _Block(self.years, self._official)
        self._fast_cum, self._fast_dates, self._fast_dues = block.cum, block.dates, block.dues

    # -- horizon -----------------------------------------------------------------------
    @property
    def loaded_years(self) -> tuple[int, ...]:
        return tuple(sorted(self.years))

    @property
    def horizon(self) -> tuple[dt.date, dt.date]:
        """First and last day of the loaded data."""
        return self._official.first, self._official.last

    @cached_property
    def _extended(self) -> _Table:
        lo, hi = self._range
        return _Table(lo.year, hi.year, self.years)

    @cached_property
    def _range(self) -> tuple[dt.date, dt.date]:
        """The first and last day any question can be answered about, even provisionally."""
        return (dt.date(min(PROVISIONAL_RANGE[0], min(self.years)), 1, 1),
                dt.date(max(PROVISIONAL_RANGE[1], max(self.years)), 12, 31))

    def _check_range(self, *days: dt.date) -> None:
        """CalendarRangeError for a day outside the computable range (the day before its first
        day still counts as a start: nothing before it is counted)."""
        lo, hi = self._range
        for d in days:
            if not lo - dt.timedelta(days=1) <= d <= hi:
                raise CalendarRangeError(
                    f"日期 {d.isoformat()} 超出可计算的范围（{lo.isoformat()} 至 {hi.isoformat()}）："
                    f"工作日只能在 {lo.year} 年至 {hi.year} 年之间计算，请核对日期")

    def _missing(self, after: dt.date, through: dt.date) -> list[int]:
        """Years without data touched by the days in (after, through]."""
        first = (after + dt.timedelta(days=1)).year
        return [y for y in range(first, through.year + 1) if y not in self.years]

    def _table_for(self, allow_provisional: bool) -> _Table:
        return self._extended if allow_provisional else self._official

    # -- queries -----------------------------------------------------------------------
    def is_workday(self, d: dt.date, *, allow_provisional: bool = False) -> bool:
        self._check_range(d)
        if d.year not in self.years and not allow_provisional:
            raise CalendarHorizonError([d.year])
        t = self._table_for(allow_provisional)
        i = d.toordinal() - t.base
        if not 0 <= i < len(t.flags):
            raise CalendarHorizonError([d.year])
        return bool(t.flags[i])

    def add(self, start: dt.date, n: int, *, allow_provisional: bool = False) -> dt.date:
        """The n-th working day strictly after `start` (n >= 0; n == 0 returns start)."""
        k = self._fast_cum.get(start)  # fast path: start and result inside the loaded run
        if k is not None and n > 0:      # (the same answer as the general path below)
            try:
                return self._fast_dates[k + n]
            except IndexError:
                pass
        return self.add_marked(start, n, allow_provisional=allow_provisional).date

    def add_marked(self, start: dt.date, n: int, *, allow_provisional: bool = False) -> Due:
        k = self._fast_cum.get(start)  # fast path, as in add()
        if k is not None and n > 0:
            try:
                return self._fast_dues[k + n]
            except IndexError:
                pass
        if n < 0:
            raise ValueError("n must be >= 0")
        self._check_range(start)
        if n == 0:
            return Due(start, False)
        t = self._table_for(allow_provisional)
        i = start.toordinal() - t.base
        if i < -1:
            raise CalendarHorizonError(self._missing(start, t.first) or [start.year])
        if i >= len(t.cum):  # the start itself lies beyond the data
            raise CalendarHorizonError(self._missing(start, start + dt.timedelta(days=1)) or [start.year])
        k = (t.cum[i] if i >= 0 else 0) + n - 1
        if k >= len(t.workdays):
            if t.last >= self._range[1]:  # not a year to import: beyond anything computable
                raise CalendarRangeError(
                    f"从 {start.isoformat()} 起第 {n} 个工作日超出可计算的范围（至 {t.last.isoformat()}），"
                    "请核对日期和工作日数")
            raise CalendarHorizonError(self._missing(start, t.last) + [t.last.year + 1])
        result = dt.date.fromordinal(t.base + t.workdays[k])
        missing = self._missing(start, result)
        if missing and not allow_provisional:
            raise CalendarHorizonError(missing)
        return Due(result, bool(missing))

    def count(self, d1: dt.date, d2: dt.date, *, allow_provisional: bool = False) -> int:
        """Working days in (d1, d2]; negative when d2 < d1."""
        fast = self._fast_cum  # fast path: both ends inside the loaded run (either order)
        i, j = fast.get(d1), fast.get(d2)
        if i is not None and j is not None:
            return j - i
        self._check_range(d1, d2)
        if d2 < d1:
            return -self.count(d2, d1, allow_provisional=allow_provisional)
        missing = self._missing(d1, d2)
        if missing and not allow_provisional:
            raise CalendarHorizonError(missing)
        t = self._table_for(allow_provisional)
        i, j = d1.toordinal() - t.base, d2.toordinal() - t.base
        if i < -1 or j >= len(t.cum):
            raise CalendarHorizonError(missing or [d1.year, d2.year])
        # i == -1 (the day before the data) has no prefix entry: its count is 0, never cum[-1]
        return (t.cum[j] if j >= 0 else 0) - (t.cum[i] if i >= 0 else 0)

    def is_provisional(self, after: dt.date, through: dt.date) -> bool:
        """Does a period (after, through] touch a year without data?"""
        return bool(self._missing(after, through))

    def day_reason(self, d: dt.date, *, allow_provisional: bool = False) -> str:
        """Why `d` is or is not a working day, in Chinese."""
        t = self._table_for(allow_provisional)
        label = t.labels.get(d.toordinal())
        if label:
            return label
        if d.weekday() >= 5:
            return f"周{_WEEKDAY_CN[d.weekday()]}"
        return "工作日"

    def explain(self, start: dt.date, n: int, *, allow_provisional: bool = False) -> list[DayNote]:
        """Every day in (start, add(start, n)] with its working-day number or skip reason."""
        due = self.add_marked(start, n, allow_provisional=allow_provisional)
        notes: list[DayNote] = []
        counted = 0
        d = start
        while d < due.date:
            d += dt.timedelta(days=1)
            work = self.is_workday(d, allow_provisional=allow_provisional)
            counted += work
            notes.append(
                DayNote(
                    d,
                    counted if work else None,
                    self.day_reason(d, allow_provisional=allow_provisional),
                    d.year not in self.years,
                )
            )
        return notes

    def notice_for(self, year: int) -> str | None:
        data = self.years.get(year)
        return data.notice_label if data else None
