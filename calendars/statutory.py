"""Statutory days off by the 全国年节及纪念日放假办法 (pure; no I/O).

Used for two things only: validating a year file (every statutory day must be off) and
the provisional calendar of a year whose State Council notice is not loaded (RULES.md).
Every revision of the measures is encoded, so an old year's file validates against the rules of
its own time; the provisional estimate of a future year uses the 2024 measures.
(The provisional calendar assumes the five-day week, which China adopted on 1995-05-01.)
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from lunardate import LunarDate

# 全国年节及纪念日放假办法, in force for a year's schedule from:
#   1949 measures: 春节 = 初一-初三, 劳动节 = 5/1, 国庆节 = 10/1-2
#   1999 revision (1999-10-01): 国庆节 = 10/1-3; from 2000 劳动节 = 5/1-3; no 清明/端午/中秋
#   2007 revision (2008-01-01): 春节 = 除夕-初二, 劳动节 = 5/1, + 清明, 端午, 中秋
#   2013 revision (2014-01-01): 春节 = 初一-初三
#   2024 revision (2025 schedule on): 春节 = 除夕-初三, 劳动节 = 5/1-2 (第二条)
NATIONAL_DAY_3_FROM_YEAR = 1999  # the 1999 revision took effect on 1999-10-01
MEASURES_1999_FROM_YEAR = 2000
MEASURES_2007_FROM_YEAR = 2008
MEASURES_2013_FROM_YEAR = 2014
MEASURES_2024_FROM_YEAR = 2025


def qingming(year: int) -> dt.date:
    """清明 (solar longitude 15°) by the 寿星 formula, exact for 1901-2099.

    day = floor(Y * 0.2422 + C) - floor(Y / 4), Y = year % 100, C = 5.59 (20th c.) / 4.81 (21st c.).
    """
    y = year % 100
    c = 4.81 if year >= 2000 else 5.59
    return dt.date(year, 4, int(y * 0.2422 + c) - y // 4)


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).to_solar_date()


@lru_cache(maxsize=256)
def statutory_days_off(year: int) -> dict[dt.date, str]:
    """Days off for all citizens in `year` (放假办法第二条), by the measures in force that year."""
    spring = _lunar(year, 1, 1)
    eve = spring - dt.timedelta(days=1)  # 除夕: the last day of the lunar year (腊月廿九 or 三十)
    days: dict[dt.date, str] = {dt.date(year, 1, 1): "元旦"}
    if year >= MEASURES_2024_FROM_YEAR:
        spring_days = [eve] + [spring + dt.timedelta(days=i) for i in range(3)]
        labour_days = (1, 2)
    elif year >= MEASURES_2013_FROM_YEAR:
        spring_days = [spring + dt.timedelta(days=i) for i in range(3)]
        labour_days = (1,)
    elif year >= MEASURES_2007_FROM_YEAR:
        spring_days = [eve, spring, spring + dt.timedelta(days=1)]
        labour_days = (1,)
    else:
        spring_days = [spring + dt.timedelta(days=i) for i in range(3)]
        labour_days = (1, 2, 3) if year >= MEASURES_1999_FROM_YEAR else (1,)
    for d in spring_days:  # 初一 is never before January 21, so 除夕 stays inside `year`
        days[d] = "春节"
    for d in labour_days:
        days[dt.date(year, 5, d)] = "劳动节"
    if year >= MEASURES_2007_FROM_YEAR:
        days[qingming(year)] = "清明节"
        days[_lunar(year, 5, 5)] = "端午节"
        days[_lunar(year, 8, 15)] = "中秋节"
    for d in (1, 2, 3) if year >= NATIONAL_DAY_3_FROM_YEAR else (1, 2):
        days[dt.date(year, 10, d)] = "国庆节"
    return days
