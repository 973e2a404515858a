"""`ogi case list`: cases by their nearest due date, read from the cached, indexed columns
(`next_due`, `answer_due`) that every step and calendar import keep current."""
from __future__ import annotations

import datetime as dt

from ...errors import InputError
from ...states.machine import STATE_LABELS, CaseState
from ...states.outcomes import OUTCOMES
from ...states.vocabulary import clock_label
from ..store.calendar_store import load_calendar
from ..store.db import read_session
from ..store.tables import Applicant, Case
from .standing import clock_standing
from .summary import user_names


def list_cases(*, state: str | None, clerk: str | None, due_within: int | None, overdue: bool,
               include_closed: bool, day: dt.date, limit: int) -> dict:
    from sqlmodel import select

    with read_session() as s:
        cal = load_calendar(s)
        q = select(Case, Applicant).join(Applicant, Applicant.id == Case.applicant_id)
        if state:
            if state not in CaseState._value2member_map_:
                from ...states.vocabulary import choices_text

                raise InputError(f"状态“{state}”不存在；可选：{choices_text({k.value: v for k, v in STATE_LABELS.items()})}")
            q = q.where(Case.state == state)
        elif not include_closed:
            q = q.where(Case.closed == False)  # noqa: E712
        if clerk:
            q = q.where(Case.clerk == clerk)
        if overdue:
            q = q.where(Case.next_due < day, Case.closed == False)  # noqa: E712
        elif due_within is not None:
            limit_day = cal.add(day, due_within, allow_provisional=True)
            q = q.where(Case.next_due <= limit_day, Case.closed == False)  # noqa: E712
        if overdue or due_within is not None:
            # next_due is set on every row here: ordering by it alone (same order) lets the
            # database walk ix_cases_open_due and stop at `limit` instead of sorting every match.
            q = q.order_by(Case.next_due, Case.id).limit(limit)
        else:
            q = q.order_by(Case.next_due.is_(None), Case.next_due, Case.id).limit(limit)
        found = []
        names = user_names()
        for case, ap in s.exec(q).all():
            left = cal.count(day, case.next_due, allow_provisional=True) if case.next_due else None
            # The nearest due date in words on `day`: 已逾期 N 个工作日 / 今日到期 / 还剩 N 个工作日.
            st = clock_standing(case.next_due, day, cal, running=case.next_due is not None, paused=case.clock_paused,
                                closed=case.closed)
            found.append({"id": case.id, "number": case.number, "applicant": ap.name, "state": case.state,
                         "state_label": STATE_LABELS[CaseState(case.state)], "clerk": case.clerk,
                         "clerk_name": names.get(case.clerk, case.clerk), "received_on": case.received_on, "answer_due": case.answer_due,
                         "next_due": case.next_due, "next_clock": case.next_clock,
                         "next_clock_label": clock_label(case.next_clock) if case.next_clock else None,
                         "workdays_left": left, "standing": st.to_json(),
                         "paused": case.clock_paused, "provisional": case.provisional,
                         "outcome": case.outcome,
                         "outcome_label": OUTCOMES[case.outcome].label if case.outcome in OUTCOMES else None})
        return {"as_of": day, "cases": found}
