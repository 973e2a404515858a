"""The official working-day calendar (pure layer): data cross-checks, properties, hand-computed
deadlines, the horizon and provisional mode, the statutory days and year-file validation.

`holidays` and `chinesecalendar` are used here only, never at run time (RULES.md).
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ogi.calendars import (
    CalendarHorizonError,
    WorkCalendar,
    YearFileError,
    bundled_years,
    parse_year_file,
)
from ogi.calendars.statutory import qingming, statutory_days_off

from calendar_support import FAKE_2027

D = dt.date
COVERED = (2024, 2025, 2026)
CAL = WorkCalendar(bundled_years())  # module-level: hypothesis must not see a function-scoped fixture

def days_of(year: int):
    d = D(year, 1, 1)
    while d.year == year:
        yield d
        d += dt.timedelta(days=1)


# --------------------------------------------------------------------------- cross-checks

def test_bundled_years_are_2024_to_2026_and_name_their_notice():
    years = bundled_years()
    assert [y.year for y in years] == list(COVERED)
    for y in years:
        assert y.notice == f"国务院办公厅关于{y.year}年部分节假日安排的通知"
        assert y.published is not None and y.published.year == y.year - 1
    assert CAL.horizon == (D(2024, 1, 1), D(2026, 12, 31))


def test_every_day_of_covered_years_matches_holidays_china():
    import holidays

    cn = holidays.China(years=COVERED, language="en_US")
    mismatches = [(d, CAL.is_workday(d), cn.get(d)) for y in COVERED for d in days_of(y)
                  if CAL.is_workday(d) != cn.is_working_day(d)]
    assert mismatches == []
    # holidays lists 'observed'/'substituted' days as days off too: every listed day is off with us
    assert all(not CAL.is_workday(d) for d in cn if d.year in COVERED)
    # ... and its make-up working days (weekend_workdays) are exactly ours
    ours = {d for y in bundled_years() for d in y.makeup_workdays}
    assert {d for d in cn.weekend_workdays if d.year in COVERED} == ours


def test_every_day_of_covered_years_matches_chinesecalendar():
    # Compare is_workday per day: chinesecalendar's find_workday is off by one from a non-working start.
    import chinese_calendar

    mismatches = [d for y in COVERED for d in days_of(y) if CAL.is_workday(d) != chinese_calendar.is_workday(d)]
    assert mismatches == []


def test_rules_md_schedules_are_the_shipped_data():
    def off(*ranges):
        out = set()
        for a, b in ranges:
            out |= {a + dt.timedelta(days=i) for i in range((b - a).days + 1)}
        return out

    y = {data.year: data for data in bundled_years()}
    assert set(y[2025].days_off) == off((D(2025, 1, 1), D(2025, 1, 1)), (D(2025, 1, 28), D(2025, 2, 4)),
                                        (D(2025, 4, 4), D(2025, 4, 6)), (D(2025, 5, 1), D(2025, 5, 5)),
                                        (D(2025, 5, 31), D(2025, 6, 2)), (D(2025, 10, 1), D(2025, 10, 8)))
    assert set(y[2025].makeup_workdays) == {D(2025, 1, 26), D(2025, 2, 8), D(2025, 4, 27), D(2025, 9, 28), D(2025, 10, 11)}
    assert set(y[2026].days_off) == off((D(2026, 1, 1), D(2026, 1, 3)), (D(2026, 2, 15), D(2026, 2, 23)),
                                        (D(2026, 4, 4), D(2026, 4, 6)), (D(2026, 5, 1), D(2026, 5, 5)),
                                        (D(2026, 6, 19), D(2026, 6, 21)), (D(2026, 9, 25), D(2026, 9, 27)),
                                        (D(2026, 10, 1), D(2026, 10, 7)))
    assert set(y[2026].makeup_workdays) == {D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9),
                                            D(2026, 9, 20), D(2026, 10, 10)}


# --------------------------------------------------------------------------- statutory days

_FESTIVALS = {  # holidays' English names -> how we compute the date
    "Chinese New Year (Spring Festival)": "spring",
    "Tomb-Sweeping Day": "qingming",
    "Dragon Boat Festival": "duanwu",
    "Mid-Autumn Festival": "zhongqiu",
}
_STATUTORY_NAMES = {"New Year's Day", "Chinese New Year's Eve", "Chinese New Year (Spring Festival)",
                    "Tomb-Sweeping Day", "Labor Day", "Dragon Boat Festival", "Mid-Autumn Festival",
                    "National Day"}


def _names(cn) -> dict[str, list[dt.date]]:
    """English name -> sorted dates; 'observed'/'substituted' days off and merged names split."""
    out: dict[str, list[dt.date]] = {}
    for d, name in cn.items():
        for part in name.split("; "):
            out.setdefault(part, []).append(d)
    return {k: sorted(v) for k, v in out.items()}


def test_festival_dates_match_holidays_china_2000_2060():
    import holidays
    from lunardate import LunarDate

    for year in range(2000, 2061):
        names = _names(holidays.China(years=year, language="en_US"))
        ours = statutory_days_off(year)
        expected = {"spring": LunarDate(year, 1, 1).to_solar_date(), "qingming": qingming(year),
                    "duanwu": LunarDate(year, 5, 5).to_solar_date(), "zhongqiu": LunarDate(year, 8, 15).to_solar_date()}
        for name, key in _FESTIVALS.items():
            if key != "spring" and year < 2008:  # 清明/端午/中秋 became days off with the 2007 revision
                assert name not in names
                continue
            assert names[name][0] == expected[key], (year, name)
            assert ours[expected[key]] in {"春节", "清明节", "端午节", "中秋节", "国庆节"}


def test_statutory_days_equal_holidays_china_for_every_measures_revision_1990_2099():
    # The whole set, so every revision (1949, 1999, 2007, 2013, 2024) is exercised: 除夕 off in
    # 2008-2013 and from 2025, 劳动节 3 days in 2000-2007, 国庆节 2 days before 1999, ...
    import holidays

    for year in range(1990, 2100):
        cn = holidays.China(years=year, language="en_US")
        theirs = {d for d, n in cn.items() if any(p in _STATUTORY_NAMES for p in n.split("; "))}
        assert set(statutory_days_off(year)) == theirs, year


def test_statutory_days_of_the_2024_measures():
    days = statutory_days_off(2026)
    # 放假办法第二条 (2024): 元旦1, 春节4 = 除夕–初三, 清明1, 劳动节2, 端午1, 中秋1, 国庆3 -> 13 days
    assert len(days) == 13
    assert [d for d, n in days.items() if n == "春节"] == [D(2026, 2, 16), D(2026, 2, 17), D(2026, 2, 18), D(2026, 2, 19)]
    assert qingming(2026) == D(2026, 4, 5) and days[D(2026, 6, 19)] == "端午节" and days[D(2026, 9, 25)] == "中秋节"
    assert len(statutory_days_off(2024)) == 11  # 2013 measures: 春节3 (初一–初三), 劳动节1


# --------------------------------------------------------------------------- hand-computed deadlines

@pytest.mark.parametrize("start, n, due", [
    # 2026 国庆: 9/25 (Fri)–9/27 中秋 off; 9/28, 9/29, 9/30 = 1–3; 10/1–10/7 off; 10/8, 10/9 = 4, 5;
    # 10/10 (Sat, make-up) = 6; 10/12–16 = 7–11; 10/19–23 = 12–16; 10/26, 27, 28, 29 = 17–20.
    (D(2026, 9, 24), 20, D(2026, 10, 29)),
    # 2026 春节: 2/9–13 = 1–5; 2/14 (Sat, make-up) = 6; 2/15–23 off; 2/24–27 = 7–10;
    # 2/28 (Sat, make-up) = 11; 3/2–6 = 12–16; 3/9, 10, 11, 12 = 17–20.
    (D(2026, 2, 6), 20, D(2026, 3, 12)),
    # Receipt on the make-up Saturday 2026-02-14 (the day itself never counts): 2/15–23 off;
    # 2/24–27 = 1–4; 2/28 (Sat, make-up) = 5; 3/2–6 = 6–10; 3/9–13 = 11–15; 3/16–20 = 16–20.
    (D(2026, 2, 14), 20, D(2026, 3, 20)),
    # Receipt on the make-up Sunday 2026-09-20: 9/21–24 = 1–4; 9/25–27 off; 9/28–30 = 5–7;
    # 10/1–7 off; 10/8, 9 = 8, 9; 10/10 (make-up) = 10; 10/12–16 = 11–15; 10/19–23 = 16–20.
    (D(2026, 9, 20), 20, D(2026, 10, 23)),
    # Receipt on the holiday 2026-10-01: 10/8, 9 = 1, 2; 10/10 = 3; 10/12–16 = 4–8; 10/19–23 = 9–13;
    # 10/26–30 = 14–18; 11/2, 11/3 = 19, 20.
    (D(2026, 10, 1), 20, D(2026, 11, 3)),
    # 2025 春节: 1/26 (Sun, make-up) = 1; 1/27 = 2; 1/28–2/4 off; 2/5–7 = 3–5; 2/8 (Sat, make-up) = 6;
    # 2/10–14 = 7–11; 2/17–21 = 12–16; 2/24–27 = 17–20.
    (D(2025, 1, 24), 20, D(2025, 2, 27)),
    # 2025 国庆+中秋: 9/28 (Sun, make-up) = 1; 9/29, 30 = 2, 3; 10/1–8 off; 10/9, 10 = 4, 5;
    # 10/11 (Sat, make-up) = 6; 10/13–17 = 7–11; 10/20–24 = 12–16; 10/27–30 = 17–20.
    (D(2025, 9, 26), 20, D(2025, 10, 30)),
    # Year boundary 2025 -> 2026: 12/26 = 1; 12/29–31 = 2–4; 2026-01-01..03 off; 1/4 (Sun, make-up) = 5;
    # 1/5–9 = 6–10.
    (D(2025, 12, 25), 10, D(2026, 1, 9)),
    # Year boundary 2024 -> 2025: 12/30, 31 = 1, 2; 2025-01-01 off; 1/2, 3 = 3, 4; 1/6 = 5.
    (D(2024, 12, 27), 5, D(2025, 1, 6)),
    # 条例第三十条: correction notice within 7 working days of a receipt on 2026-09-24:
    # 9/28–30 = 1–3; 10/8, 9 = 4, 5; 10/10 (make-up) = 6; 10/12 = 7.
    (D(2026, 9, 24), 7, D(2026, 10, 12)),
])
def test_hand_computed_deadlines(start, n, due):
    assert CAL.add(start, n) == due
    assert CAL.count(start, due) == n
    assert CAL.is_workday(due)
    got = CAL.add_marked(start, n)
    assert got.date == due and got.provisional is False


def test_receipt_on_holiday_equals_receipt_on_last_working_day_before_it():
    assert CAL.add(D(2026, 10, 1), 20) == CAL.add(D(2026, 9, 30), 20) == D(2026, 11, 3)
    assert CAL.add(D(2026, 2, 20), 20) == CAL.add(D(2026, 2, 14), 20)  # 2/14 is the make-up Saturday


def test_make_up_days_are_working_days_and_reasons_name_the_holiday():
    for d in (D(2026, 2, 14), D(2026, 9, 20), D(2026, 10, 10), D(2025, 1, 26)):
        assert CAL.is_workday(d)
        assert CAL.day_reason(d).endswith("调休上班")
    assert CAL.day_reason(D(2026, 10, 1)) == "国庆节放假"
    assert CAL.day_reason(D(2026, 2, 17)) == "春节放假"
    assert CAL.day_reason(D(2026, 10, 17)) == "周六"
    assert CAL.day_reason(D(2026, 10, 12)) == "工作日"


def test_explain_lists_every_counted_and_skipped_day():
    notes = CAL.explain(D(2026, 9, 24), 20)
    assert [n.date for n in notes] == [D(2026, 9, 25) + dt.timedelta(days=i) for i in range(35)]
    assert [n.counted for n in notes if n.counted] == list(range(1, 21))
    by_day = {n.date: n for n in notes}
    assert by_day[D(2026, 9, 25)].counted is None and by_day[D(2026, 9, 25)].reason == "中秋节放假"
    assert by_day[D(2026, 10, 3)].reason == "国庆节放假"
    assert by_day[D(2026, 10, 10)].counted == 6 and by_day[D(2026, 10, 10)].reason == "国庆节调休上班"
    assert by_day[D(2026, 10, 11)].counted is None and by_day[D(2026, 10, 11)].reason == "周日"
    assert not any(n.provisional for n in notes)
    assert CAL.explain(D(2026, 9, 24), 0) == []


# --------------------------------------------------------------------------- horizon, provisional

def test_year_boundary_into_a_year_without_data_is_refused():
    # 12/21–25 = 1–5; 12/28–31 = 6–9: the 10th working day lies in 2027, which has no notice.
    with pytest.raises(CalendarHorizonError) as exc:
        CAL.add(D(2026, 12, 20), 10)
    assert exc.value.missing_years == (2027,)
    msg = str(exc.value)
    assert "2027 年" in msg and "ogi calendar import" in msg and "--allow-provisional" in msg
    assert CAL.add(D(2026, 12, 20), 9) == D(2026, 12, 31)  # still inside the data: fine


def test_year_boundary_provisional_only_when_allowed():
    # Provisional 2027 (放假办法 2024, weekends off, no make-up days): 2027-01-01 (Fri) 元旦 off,
    # 1/2–3 weekend, so the 10th working day is Monday 2027-01-04.
    due = CAL.add_marked(D(2026, 12, 20), 10, allow_provisional=True)
    assert due.date == D(2027, 1, 4) and due.provisional is True
    assert CAL.add_marked(D(2026, 9, 24), 20, allow_provisional=True).provisional is False
    assert CAL.count(D(2026, 12, 20), D(2027, 1, 4), allow_provisional=True) == 10
    assert CAL.is_provisional(D(2026, 12, 20), D(2027, 1, 4))


@pytest.mark.parametrize("call", [
    lambda: CAL.add(D(2027, 1, 5), 3),
    lambda: CAL.add(D(2026, 12, 31), 1),
    lambda: CAL.count(D(2026, 12, 1), D(2027, 1, 10)),
    lambda: CAL.count(D(2027, 3, 1), D(2027, 1, 10)),
    lambda: CAL.is_workday(D(2027, 6, 1)),
    lambda: CAL.explain(D(2026, 12, 28), 5),
])
def test_every_query_touching_2027_names_2027(call):
    with pytest.raises(CalendarHorizonError) as exc:
        call()
    assert 2027 in exc.value.missing_years


def test_years_before_the_data_are_refused_too():
    with pytest.raises(CalendarHorizonError) as exc:
        CAL.add(D(2023, 6, 1), 5)
    assert 2023 in exc.value.missing_years
    assert CAL.add(D(2023, 12, 31), 1) == D(2024, 1, 2)  # only days after the start count


def test_provisional_2027_uses_statutory_days():
    assert not CAL.is_workday(D(2027, 2, 5), allow_provisional=True)  # 除夕 (2024 measures)
    # RULES.md: the provisional estimate has weekends off and no make-up days (no 补假 either), so
    # Monday 2027-05-03 after 劳动节 (5/1–2, a weekend) is a working day in it.
    assert CAL.is_workday(D(2027, 5, 3), allow_provisional=True)
    assert CAL.day_reason(D(2027, 10, 1), allow_provisional=True) == "国庆节（按放假办法推定）"
    notes = CAL.explain(D(2026, 12, 30), 3, allow_provisional=True)
    assert [(n.date, n.counted, n.provisional) for n in notes] == [
        (D(2026, 12, 31), 1, False), (D(2027, 1, 1), None, True), (D(2027, 1, 2), None, True),
        (D(2027, 1, 3), None, True), (D(2027, 1, 4), 2, True), (D(2027, 1, 5), 3, True)]


def test_loading_the_2027_notice_turns_provisional_into_official():
    cal = WorkCalendar([*bundled_years(), parse_year_file(FAKE_2027)])
    due = cal.add_marked(D(2026, 12, 20), 10)
    # fictitious 2027: 1/1–1/4 off, so 1/5 is the 10th working day (provisionally it was 1/4)
    assert due == type(due)(D(2027, 1, 5), False)
    assert cal.horizon == (D(2024, 1, 1), D(2027, 12, 31))
    assert cal.is_workday(D(2027, 2, 20)) and cal.day_reason(D(2027, 2, 20)) == "春节调休上班"


def test_a_gap_between_loaded_years_is_provisional():
    years = [y for y in bundled_years() if y.year != 2025]
    cal = WorkCalendar(years)
    with pytest.raises(CalendarHorizonError) as exc:
        cal.add(D(2024, 12, 20), 20)
    assert exc.value.missing_years == (2025,)
    assert cal.add_marked(D(2024, 12, 20), 20, allow_provisional=True).provisional
    assert cal.add(D(2026, 1, 5), 5) == D(2026, 1, 12)


def test_make_up_day_in_the_previous_december_counts_once_its_notice_is_loaded():
    text = FAKE_2027.replace('off = [2027-01-01, 2027-01-04]\nworkdays = []',
                             'off = [2027-01-01, 2027-01-04]\nworkdays = [2026-12-26]')
    cal = WorkCalendar([*bundled_years(), parse_year_file(text)])
    assert not CAL.is_workday(D(2026, 12, 26))
    assert cal.is_workday(D(2026, 12, 26)) and cal.day_reason(D(2026, 12, 26)) == "元旦调休上班"
    assert cal.add(D(2026, 12, 24), 2) == D(2026, 12, 26)


# --------------------------------------------------------------------------- properties

OFFICIAL_START = st.dates(D(2023, 12, 31), D(2026, 6, 30))
N = st.integers(0, 100)  # 100 working days from mid-2026 stay inside 2026


@settings(max_examples=300, deadline=None)
@given(OFFICIAL_START, N)
def test_count_inverts_add(d, n):
    assert CAL.count(d, CAL.add(d, n)) == n


@settings(max_examples=300, deadline=None)
@given(OFFICIAL_START, OFFICIAL_START, N)
def test_add_is_monotonic_in_start(d1, d2, n):
    a, b = sorted((d1, d2))
    assert CAL.add(a, n) <= CAL.add(b, n)


@settings(max_examples=200, deadline=None)
@given(OFFICIAL_START, N, N)
def test_add_is_strictly_monotonic_in_n(d, n1, n2):
    assume(n1 != n2)
    lo, hi = sorted((n1, n2))
    assert CAL.add(d, lo) < CAL.add(d, hi)


@settings(max_examples=300, deadline=None)
@given(st.dates(D(2024, 1, 8), D(2026, 6, 30)), st.integers(1, 100))
def test_add_from_a_non_working_day_equals_add_from_the_working_day_before(d, n):
    assume(not CAL.is_workday(d))
    w = d - dt.timedelta(days=1)
    while not CAL.is_workday(w):
        w -= dt.timedelta(days=1)
    assert CAL.add(d, n) == CAL.add(w, n)


@settings(max_examples=300, deadline=None)
@given(OFFICIAL_START, st.integers(1, 100))
def test_results_are_working_days_and_match_stepping_day_by_day(d, n):
    due = CAL.add(d, n)
    assert CAL.is_workday(due)
    day, left = d, n  # the reference: walk the calendar one day at a time
    while left:
        day += dt.timedelta(days=1)
        left -= CAL.is_workday(day)
    assert due == day


@settings(max_examples=300, deadline=None)
@given(st.dates(D(2023, 12, 31), D(2026, 12, 31)), st.dates(D(2023, 12, 31), D(2026, 12, 31)),
       st.dates(D(2023, 12, 31), D(2026, 12, 31)))
def test_count_is_additive(a, b, c):
    assert CAL.count(a, b) + CAL.count(b, c) == CAL.count(a, c)
    assert CAL.count(a, b) == -CAL.count(b, a)


@settings(max_examples=300, deadline=None)
@given(OFFICIAL_START, N, st.dates(D(2023, 12, 31), D(2026, 12, 31)))
def test_provisional_mode_agrees_with_official_where_data_exists(d, n, other):
    official = CAL.add_marked(d, n)
    assert CAL.add_marked(d, n, allow_provisional=True) == official
    assert official.provisional is False
    assert CAL.count(d, other, allow_provisional=True) == CAL.count(d, other)
    if other.year >= 2024:
        assert CAL.is_workday(other, allow_provisional=True) == CAL.is_workday(other)
        assert CAL.day_reason(other, allow_provisional=True) == CAL.day_reason(other)


@settings(max_examples=200, deadline=None)
@given(st.dates(D(2026, 7, 1), D(2060, 12, 31)), st.integers(1, 300))
def test_provisional_properties_hold_beyond_the_data(d, n):
    due = CAL.add_marked(d, n, allow_provisional=True)
    assert CAL.count(d, due.date, allow_provisional=True) == n
    assert CAL.is_workday(due.date, allow_provisional=True)
    assert due.provisional == (due.date.year >= 2027)
    if not due.provisional:
        assert due.date == CAL.add(d, n)


# --------------------------------------------------------------------------- year files

def _without(text: str, needle: str, replacement: str) -> str:
    assert needle in text
    return text.replace(needle, replacement)


def test_the_fictitious_test_file_is_valid():
    data = parse_year_file(FAKE_2027, 2027)
    assert data.year == 2027 and data.notice.startswith("测试用虚构通知")
    assert set(statutory_days_off(2027)) <= set(data.days_off)


@pytest.mark.parametrize("mutate, expected", [
    pytest.param(lambda t: _without(t, "workdays = [2027-10-09]", "workdays = [2027-10-11]"),
                 ["2027-10-11", "星期一", "调休上班日只能是周六或周日"], id="make-up-on-a-weekday"),
    pytest.param(lambda t: _without(t, "off = [2027-10-01, 2027-10-07]", "off = [2027-10-04, 2027-10-07]")
                 .replace("workdays = [2027-10-09]", "workdays = [2027-10-09]\n\n[[holiday]]\nname = \"国庆节\"\noff = [2027-10-01, 2027-10-02]"),
                 ["遗漏了法定节假日 2027-10-03", "国庆节"], id="missing-statutory-10-03"),
    pytest.param(lambda t: _without(t, "off = [2027-10-01, 2027-10-07]", "off = [2027-10-01, 2027-10-02]"),
                 ["遗漏了法定节假日 2027-10-03"], id="national-day-too-short"),
    pytest.param(lambda t: _without(t, "off = [2027-06-09, 2027-06-09]", "off = [2027-06-09, 2027-06-09]\nworkdays = [2027-05-01]"),
                 ["2027-05-01", "重复出现"], id="duplicate-date"),
    pytest.param(lambda t: _without(t, "off = [2027-09-15, 2027-09-15]", "off = [2027-09-14, 2027-09-16]")
                 + '\n[[holiday]]\nname = "重复"\noff = [2027-09-16, 2027-09-16]\n',
                 ["2027-09-16", "重复出现"], id="overlapping-ranges"),
    pytest.param(lambda t: _without(t, "workdays = [2027-10-09]", "workdays = [2028-01-08]"),
                 ["2028-01-08", "不在 2027 年"], id="date-in-wrong-year"),
    pytest.param(lambda t: _without(t, "year = 2027", "year = 2026"),
                 ["2026 年"], id="wrong-year-number"),
    pytest.param(lambda t: "这不是 TOML = = [\n", ["格式错误（TOML）"], id="not-toml"),
    pytest.param(lambda t: _without(t, 'notice = "测试用虚构通知（并非国务院办公厅通知）"\n', ""),
                 ["未写明所依据的国务院办公厅通知"], id="missing-notice"),
    pytest.param(lambda t: _without(t, 'notice = "测试用虚构通知（并非国务院办公厅通知）"', 'notice = "  "'),
                 ["未写明所依据的国务院办公厅通知"], id="blank-notice"),
    pytest.param(lambda t: _without(t, "year = 2027\n", ""), ["year"], id="missing-year"),
    pytest.param(lambda t: _without(t, "off = [2027-06-09, 2027-06-09]", 'off = ["2027-06-09", "2027-06-09"]'),
                 ["2027-06-09", "不是日期"], id="date-as-string"),
    pytest.param(lambda t: _without(t, "off = [2027-06-09, 2027-06-09]", "off = [2027-06-09]"),
                 ["端午节", "off 应为"], id="off-not-a-range"),
    pytest.param(lambda t: _without(t, "off = [2027-04-03, 2027-04-05]", "off = [2027-04-05, 2027-04-03]"),
                 ["早于首日"], id="range-backwards"),
    pytest.param(lambda t: t.split("[[holiday]]")[0], ["没有任何节假日"], id="no-holidays"),
])
def test_bad_year_files_are_refused_naming_the_problem(mutate, expected):
    with pytest.raises(YearFileError) as exc:
        parse_year_file(mutate(FAKE_2027), 2027)
    for part in expected:
        assert part in str(exc.value)


def test_a_file_for_one_year_named_as_another_is_refused():
    with pytest.raises(YearFileError, match="文件名表示 2028 年，但文件内容为 2027 年"):
        parse_year_file(FAKE_2027, 2028)


def test_old_year_files_validate_against_the_measures_of_their_time():
    # 2024 (2013 measures): 除夕 2024-02-09 was a working day; the shipped file must still load.
    data = next(y for y in bundled_years() if y.year == 2024)
    assert D(2024, 2, 9) not in data.days_off
    assert CAL.is_workday(D(2024, 2, 9))
