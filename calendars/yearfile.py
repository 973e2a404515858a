"""One year's State Council holiday notice as data: parse and validate (pure).

A year file (TOML) names its notice and lists, per holiday, the inclusive range of days off
and the make-up working days (调休上班日). Make-up days may fall in the previous calendar year.
"""
from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field

from ..errors import YearFileError
from .statutory import statutory_days_off


@dataclass(frozen=True)
class Holiday:
    name: str
    off: tuple[dt.date, ...]
    workdays: tuple[dt.date, ...]


@dataclass(frozen=True)
class YearData:
    year: int
    notice: str
    number: str
    published: dt.date | None
    holidays: tuple[Holiday, ...]
    source_text: str = field(default="", compare=False, repr=False)

    @property
    def days_off(self) -> dict[dt.date, str]:
        return {d: h.name for h in self.holidays for d in h.off}

    @property
    def makeup_workdays(self) -> dict[dt.date, str]:
        return {d: h.name for h in self.holidays for d in h.workdays}

    @property
    def notice_label(self) -> str:
        return f"{self.notice}（{self.number}）" if self.number else self.notice


_WEEKDAY_CN = "一二三四五六日"


def _as_date(value: object, where: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise YearFileError(f"{where}：“{value}”不是日期，应写作 YYYY-MM-DD")
    return value


def parse_year_file(text: str, expected_year: int | None = None) -> YearData:
    """Parse and validate; raise YearFileError naming the first problem found."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise YearFileError(f"年度日历文件格式错误（TOML）：{exc}") from None
    year = raw.get("year")
    if not isinstance(year, int) or not 1990 <= year <= 2099:
        raise YearFileError("年度日历文件缺少有效的 year（1990–2099 之间的整数）")
    if expected_year is not None and year != expected_year:
        raise YearFileError(f"文件名表示 {expected_year} 年，但文件内容为 {year} 年")
    notice = raw.get("notice")
    if not isinstance(notice, str) or not notice.strip():
        raise YearFileError(f"{year} 年日历文件未写明所依据的国务院办公厅通知（notice）")
    number = raw.get("number", "")
    if not isinstance(number, str):
        raise YearFileError(f"{year} 年日历文件的文号（number）应为文字")
    published = raw.get("published")
    if published is not None:
        published = _as_date(published, f"{year} 年日历文件的发布日期（published）")
    entries = raw.get("holiday")
    if not isinstance(entries, list) or not entries:
        raise YearFileError(f"{year} 年日历文件没有任何节假日（[[holiday]]）")
    holidays = tuple(_parse_holiday(year, i, e) for i, e in enumerate(entries, 1))
    data = YearData(year, notice.strip(), number.strip(), published, holidays, text)
    _validate(data)
    return data


def _parse_holiday(year: int, index: int, entry: object) -> Holiday:
    where = f"{year} 年第 {index} 个节假日"
    if not isinstance(entry, dict):
        raise YearFileError(f"{where}格式错误")
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise YearFileError(f"{where}缺少名称（name）")
    where = f"{year} 年“{name}”"
    off = entry.get("off")
    if not isinstance(off, list) or len(off) != 2:
        raise YearFileError(f"{where}：off 应为 [首日, 末日]")
    first, last = (_as_date(v, f"{where}的放假日期") for v in off)
    if last < first:
        raise YearFileError(f"{where}：放假末日 {last} 早于首日 {first}")
    if (last - first).days > 15:
        raise YearFileError(f"{where}：放假 {(last - first).days + 1} 天，超过合理范围，请核对")
    workdays = entry.get("workdays", [])
    if not isinstance(workdays, list):
        raise YearFileError(f"{where}：workdays 应为日期列表")
    wds = tuple(_as_date(v, f"{where}的调休上班日") for v in workdays)
    days = tuple(first + dt.timedelta(days=i) for i in range((last - first).days + 1))
    return Holiday(name.strip(), days, wds)


def _validate(data: YearData) -> None:
    year = data.year
    # A notice may reach into the previous December (a make-up Saturday, or 元旦 on 12/31).
    lo, hi = dt.date(year - 1, 12, 1), dt.date(year, 12, 31)
    seen: dict[dt.date, str] = {}
    for h in data.holidays:
        for d in h.off + h.workdays:
            if not lo <= d <= hi:
                raise YearFileError(f"{year} 年“{h.name}”的日期 {d} 不在 {year} 年（或上年12月）之内")
            if d in seen:
                raise YearFileError(f"{year} 年日历文件中日期 {d} 重复出现（“{seen[d]}”与“{h.name}”）")
            seen[d] = h.name
        for d in h.workdays:
            if d.weekday() < 5:
                raise YearFileError(
                    f"{year} 年“{h.name}”的调休上班日 {d} 是星期{_WEEKDAY_CN[d.weekday()]}，"
                    "调休上班日只能是周六或周日"
                )
    off = data.days_off
    for d, name in sorted(statutory_days_off(year).items()):
        if d not in off:
            raise YearFileError(
                f"{year} 年日历文件遗漏了法定节假日 {d}（{name}，全国年节及纪念日放假办法第二条）"
            )
