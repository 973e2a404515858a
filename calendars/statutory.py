"""Statutory days off by the 全国年节及纪念日放假办法 (pure; no I/O).

Used for two things only: validating a year file (every statutory day must be off) and
the provisional calendar of a year whose State Council notice is not loaded (RULES.md).
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from lunardate import LunarDate

# The 2024 revision (in force 2025-01-01) added 除夕 and 5月2日 (放假办法第二条).
MEASURES_2024_FROM_YEAR = 2025


def qingming(year: int) -> dt.date:
    """清明 (solar longitude 15°) by the 寿星 formula, exact for 1901-2099.

    day = floor(Y * 0.2422 + C) - floor(Y / 4), Y = year % 100, C = 5.59 (20th c.) / 4.81 (21st c.).
    """
    y = year % 100
    c = 4.81 if year >= 2000 else 5.59
    return dt.date(year, 4, int(y * 0.2422 + c) - y // 4)


def _lunar(year: int, month: int, day: int) -> dt.date:
    return LunarDate(year, month, day).toSolarDate()


@lru_cache(maxsize=256)
def statutory_days_off(year: int) -> dict[dt.date, str]:
    """Days off for all citizens in `year` (放假办法第二条), by the measures in force that year."""
    spring = _lunar(year, 1, 1)
    days: dict[dt.date, str] = {dt.date(year, 1, 1): "元旦"}
    first_spring_day = spring - dt.timedelta(days=1) if year >= MEASURES_2024_FROM_YEAR else spring
    span = (spring + dt.timedelta(days=2) - first_spring_day).days + 1
    for i in range(span):
        days[first_spring_day + dt.timedelta(days=i)] = "春节"
    days[qingming(year)] = "清明节"
    days[dt.date(year, 5, 1)] = "劳动节"
    if year >= MEASURES_2024_FROM_YEAR:
        days[dt.date(year, 5, 2)] = "劳动节"
    days[_lunar(year, 5, 5)] = "端午节"
    days[_lunar(year, 8, 15)] = "中秋节"
    for d in (1, 2, 3):
        days[dt.date(year, 10, d)] = "国庆节"
    return days
