"""Where a due date stands on a given day, in words (pure: no database, no wall clock).

"已逾期 45 个工作日", "今日到期", "还剩 3 个工作日", "暂停计算", "已结束", "已办结": counted in
working days on the agency's calendar, the day the period ends being its last day (含当日). The
callers pass the day (engine/identity.py today(), or a step's date). The deadline warnings
(engine/notify/policy.py remaining_text) say it with the same functions.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Iterable

from ...calendars import WorkCalendar

OVERDUE, DUE_TODAY, LEFT, PAUSED, ENDED, CLOSED = "overdue", "due_today", "left", "paused", "ended", "closed"


@dataclass(frozen=True)
class Standing:
    kind: str                # overdue | due_today | left | paused | ended | closed
    workdays: int | None     # overdue: working days late; left: working days left; else None
    text: str                # the words a clerk reads

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "workdays": self.workdays, "text": self.text}


# The words for a due date, shared with the deadline warnings (engine/notify/policy.py).
DUE_TODAY_TEXT = "今日到期"


def overdue_text(workdays_late: int | None) -> str:
    return f"已逾期 {workdays_late} 个工作日" if workdays_late else "已逾期"


def left_text(workdays_left: int) -> str:
    return f"还剩 {workdays_left} 个工作日"


def _day(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def workdays_late(due: dt.date, day: dt.date, cal: WorkCalendar) -> int | None:
    """Working days in (due, day]: how late a period that ended on `due` is on `day` (0 when
    `day` is not after it; None where the calendar has no data for the span)."""
    if day <= due:
        return 0
    try:
        return cal.count(due, day, allow_provisional=True)
    except Exception:  # noqa: BLE001 - outside every calendar: say "overdue" without a number
        return None


def due_standing(due, day: dt.date, cal: WorkCalendar) -> Standing:
    """A running period ending on `due`, seen on `day`."""
    due = _day(due)
    if due is None:
        return Standing(ENDED, None, "")
    if day > due:
        n = workdays_late(due, day, cal)
        return Standing(OVERDUE, n, overdue_text(n))
    if day == due:
        return Standing(DUE_TODAY, 0, DUE_TODAY_TEXT)
    try:
        n = cal.count(day, due, allow_provisional=True)
    except Exception:  # noqa: BLE001
        return Standing(LEFT, None, "未到期")
    return Standing(LEFT, n, left_text(n) if n > 0 else "未到期")


def clock_standing(due, day: dt.date, cal: WorkCalendar, *, running: bool, paused: bool,
                   closed: bool) -> Standing:
    """A clock of a case (clocks.Clock), seen on `day`: running clocks by their due date; a
    paused one is "暂停计算"; one that no longer runs "已结束" ("已办结" once the case is closed)."""
    if running:
        return due_standing(due, day, cal)
    if paused:
        return Standing(PAUSED, None, "暂停计算")
    return Standing(CLOSED, None, "已办结") if closed else Standing(ENDED, None, "已结束")


def clocks_with_standing(clocks: Iterable, day: dt.date, cal: WorkCalendar, *, closed: bool) -> list[dict]:
    """Each clock's to_json() with its "standing" on `day` (`case show`, `case explain`)."""
    out = []
    for c in clocks:
        j = c.to_json()
        j["standing"] = clock_standing(c.due, day, cal, running=c.running, paused=c.paused, closed=closed).to_json()
        out.append(j)
    return out


def overdue_warning(answer, day: dt.date, cal: WorkCalendar) -> str | None:
    """The warning every step on a case whose answer period has expired carries (条例第三十三条):
    None unless the answer clock (clocks.Clock) is counting (running, or paused with a projected
    end) and ended before `day`."""
    if answer is None or answer.due is None or not (answer.running or answer.paused) or day <= answer.due:
        return None
    n = workdays_late(answer.due, day, cal)
    return f"注意：答复期限已于 {answer.due} 届满，本案{overdue_text(n)}"
