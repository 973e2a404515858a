"""Statutory clocks as a clerk meets them (issue 13, items 9-12), through the CLI on SQLite and
PostgreSQL, plus properties of the pure clock function.

 9. 条例第三十三条第三款: consultation (and, by config, payment) time is left out of the answer
    period only while that period runs; a consultation or fee notice sent after expiry does not
    revive it: the case stays overdue (`case list`, `check`), an extension is refused, a late
    answer is flagged.
10. 条例第三十五条: a later due date can only be set before the current one expires.
11. RULES.md "dates given by people": a `--served` date is never before the letter went out,
    never before the application was received, never in the future.
12. 条例第三十条 / 第三十三条第二款: a correction restarts the answer period and an earlier
    extension does not carry over; the 20 WD cap applies to the new period's extensions only.

Calendar used in the hand computations (bundled 2026 notice, see `ogi calendar show 2026 10`):
days off 9/25-27 (中秋) and 10/1-7 (国庆); make-up working day Sat 10/10. 2026-09-24 is a
Thursday; OGI_TODAY is 2026-12-31 in every test.
"""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

from legal_support import import_event, no_letters

from ogi.calendars import WorkCalendar, bundled_years
from ogi.engine.cases import clocks as clk
from ogi.states.machine import CaseState, Trigger

CAL = WorkCalendar(bundled_years())  # module-level: hypothesis must not see a function-scoped fixture
D = dt.date


def snapshot(ogi) -> dict:
    """Every row a step could touch: a refused step must leave all of it as it was."""
    eng = create_engine(ogi.url)
    with eng.connect() as c:
        out = {t: c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar()
               for t in ("cases", "history_event", "consultation", "letter", "counter", "applicant")}
        out["cases_rows"] = c.execute(text(
            "SELECT id, state, version, answer_due, next_due, next_clock, clock_paused FROM cases ORDER BY id")).all()
        out["last_hash"] = c.execute(text("SELECT hash FROM history_event ORDER BY id DESC LIMIT 1")).scalar()
    eng.dispose()
    return out


def to_processing(ogi, received: str = "2026-09-24") -> str:
    case = ogi.register(received)
    ogi.ok("case", "accept", str(case["id"]), "--date", "2026-09-25")
    return str(case["id"])


def refused(ogi, *args, user: str = "li"):
    """Run a step that must be refused: exit code 1, one Chinese line on stderr, nothing changed."""
    before = snapshot(ogi)
    r = ogi(*args, user=user)
    assert r.exit_code == 1, (args, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误："), r.stderr
    assert snapshot(ogi) == before, f"a refused step changed the database: {args}"
    return lines[0]


def listed(ogi, *args) -> dict:
    return {c["number"]: c for c in ogi.json("case", "list", *args)["cases"]}


def findings(ogi, case: str, as_of: str | None = None) -> dict[str, list[str]]:
    extra = ["--as-of", as_of] if as_of else []
    out: dict[str, list[str]] = {}
    for f in ogi.json("check", case, *extra)["findings"]:
        out.setdefault(f["rule"], []).append(f["message"])
    return out


# --------------------------------------------------------------------------- item 9

def test_consultation_after_expiry_does_not_revive_the_answer_period(ogi, monkeypatch):
    no_letters(monkeypatch)
    cid = to_processing(ogi)
    # Answer due: 20 WD after Thu 9/24: 9/28-30 (3), 10/8-9 (5), Sat 10/10 (6), 10/12-16 (11),
    # 10/19-23 (16), 10/26-29 (20) -> Thu 2026-10-29.
    assert ogi.json("case", "show", cid)["deadlines"]["answer_due"] == "2026-10-29"
    r = ogi.json("case", "consult", cid, "--party", "某建设公司", "--kind", "third_party", "--date", "2026-10-30")
    # Sent Fri 10/30, the day after expiry: the consultation's own clock runs (15 WD: 11/2-6 (5),
    # 11/9-13 (10), 11/16-20 (15) -> 11/20), but the answer period is not paused or moved.
    assert r["step"]["consultation_due"] == "2026-11-20"
    assert r["deadlines"]["answer_due"] == "2026-10-29" and r["clock_paused"] is False
    assert any("2026-10-29" in w and "逾期" in w for w in r["step"]["warnings"])
    shown = ogi.json("case", "show", cid)
    answer = next(c for c in shown["clocks"] if c["key"] == "answer")
    assert answer["running"] is True and answer["paused"] is False and answer["due"] == "2026-10-29"
    assert any(line.startswith("照常计算：2026-10-30") for line in answer["explanation"])
    # `case list` on Tue 11/3: overdue by 3 WD (10/30, 11/2, 11/3), the answer clock is the nearest.
    row = listed(ogi, "--overdue", "--as-of", "2026-11-03")[shown["number"]]
    assert (row["next_clock"], row["next_due"], row["workdays_left"], row["paused"]) == ("answer", "2026-10-29", -3, False)
    # `ogi check` on the same day says so.
    assert any("2026-10-29" in m for m in findings(ogi, cid, "2026-11-03")["answer_overdue"])
    # An extension cannot cure it (条例第三十三条第二款: before the due date).
    line = refused(ogi, "case", "extend", cid, "--workdays", "10", "--reason", "需调取档案", "--date", "2026-11-02",
                   user="wang")
    assert "2026-10-29" in line and "届满" in line and "第三十三条第二款" in line
    # Reply, decision and delivery on Wed 11/4. Had the consultation revived the period, the due
    # date would be 20 + |(10/30, 11/4]| = 20 + 4 WD after 9/24 = 11/4 and this delivery timely.
    ogi.ok("case", "consultation-reply", cid, "--opinion", "agree", "--date", "2026-11-04")
    for step in (("propose", "--outcome", "disclose"), ("decide",)):
        ogi.ok("case", step[0], cid, *step[1:], "--date", "2026-11-04")
    ogi.ok("case", "approve", cid, "--date", "2026-11-04", user="wang")
    r = ogi.json("case", "deliver", cid, "--method", "direct", "--date", "2026-11-04")
    assert r["state"] == "answered" and r["deadlines"]["answer_due"] == "2026-10-29"
    assert any("逾期答复" in w for w in r["step"]["warnings"])
    late = findings(ogi, cid)["answer_late"]
    assert len(late) == 1 and "晚于答复期限 2026-10-29" in late[0]


def test_fee_notice_after_expiry_does_not_pause_the_answer_clock(ogi, monkeypatch):
    no_letters(monkeypatch)
    cid = to_processing(ogi)
    # 40 pages: 30 free + 10 x 10 元 = 100 元 (国办函〔2020〕109号). Sent Fri 10/30, after the
    # answer period ended on Thu 10/29 (see above). Payment due 20 WD after 10/30: 11/2-6 (5),
    # 11/9-13 (10), 11/16-20 (15), 11/23-27 (20) -> 11/27.
    r = ogi.json("case", "fee-notice", cid, "--basis", "per_page", "--quantity", "40", "--date", "2026-10-30")
    assert r["state"] == "awaiting_payment"
    assert r["deadlines"]["payment_due"] == "2026-11-27"
    assert r["deadlines"]["answer_due"] == "2026-10-29" and r["clock_paused"] is False
    # Overdue on 11/2 (10/30, 11/2 past the due date: -2 WD), not hidden behind the payment clock.
    row = listed(ogi, "--overdue", "--as-of", "2026-11-02")[r["number"]]
    assert (row["next_clock"], row["next_due"], row["workdays_left"], row["paused"]) == ("answer", "2026-10-29", -2, False)
    assert "answer_overdue" in findings(ogi, cid, "2026-11-02")
    line = refused(ogi, "case", "extend", cid, "--workdays", "5", "--reason", "x", "--date", "2026-11-02", user="wang")
    assert "届满" in line


def test_consultation_within_the_period_still_pauses_it(ogi, monkeypatch):
    """The control of the two tests above, with a case that expires next to one that does not."""
    no_letters(monkeypatch)
    on_time = to_processing(ogi)
    # Sent on the last day, Thu 10/29: the period still runs (it ends at 24:00). Reply Tue 11/3:
    # excluded (10/29, 11/3] = 10/30, 11/2, 11/3 = 3 WD; 23 WD after 9/24 -> 11/3.
    r = ogi.json("case", "consult", on_time, "--party", "市自然资源局", "--kind", "agency", "--date", "2026-10-29")
    assert r["clock_paused"] is True
    r = ogi.json("case", "consultation-reply", on_time, "--opinion", "none", "--date", "2026-11-03")
    assert r["deadlines"]["answer_due"] == "2026-11-03"
    late = to_processing(ogi)
    r = ogi.json("case", "consult", late, "--party", "市自然资源局", "--kind", "agency", "--date", "2026-10-30")
    r = ogi.json("case", "consultation-reply", late, "--opinion", "none", "--date", "2026-11-03")
    assert r["deadlines"]["answer_due"] == "2026-10-29"
    overdue = listed(ogi, "--overdue", "--as-of", "2026-11-03")
    assert r["number"] in overdue and ogi.json("case", "show", on_time)["number"] not in overdue


def test_extension_keeps_the_period_running_for_a_later_consultation(ogi, monkeypatch):
    no_letters(monkeypatch)
    cid = to_processing(ogi)
    # Extension of 10 WD on 10/28 (before 10/29): 30 WD after 9/24: 10/30 (21), 11/2-6 (26),
    # 11/9-12 (30) -> Thu 11/12.
    r = ogi.json("case", "extend", cid, "--workdays", "10", "--reason", "需调取档案", "--date", "2026-10-28", user="wang")
    assert r["deadlines"]["answer_due"] == "2026-11-12"
    # Consultation on 11/2: after the original 20 WD, but within the extended period: it pauses.
    # Reply 11/6: excluded (11/2, 11/6] = 11/3-6 = 4 WD; 34 WD -> 11/13 (31), 11/16-18 (34).
    ogi.ok("case", "consult", cid, "--party", "某公司", "--kind", "third_party", "--date", "2026-11-02")
    r = ogi.json("case", "consultation-reply", cid, "--opinion", "agree", "--date", "2026-11-06")
    assert r["deadlines"]["answer_due"] == "2026-11-18"
    # A second consultation after 11/18 revives nothing.
    r = ogi.json("case", "consult", cid, "--party", "某公司", "--kind", "third_party", "--date", "2026-11-19")
    assert r["deadlines"]["answer_due"] == "2026-11-18" and r["clock_paused"] is False


# --------------------------------------------------------------------------- item 10

def test_delay_under_article_35_only_before_expiry(ogi, monkeypatch):
    no_letters(monkeypatch)
    late = to_processing(ogi)
    line = refused(ogi, "case", "delay", late, "--until", "2026-12-15", "--reason", "申请数量大，理由合理",
                   "--date", "2026-10-30", user="wang")
    assert "2026-10-29" in line and "届满" in line and "条例第三十五条" in line
    shown = ogi.json("case", "show", late)
    assert shown["deadlines"]["answer_due"] == "2026-10-29"
    assert not [h for h in shown["history"] if h["action"] == "delay"]
    # On the due day itself (Thu 10/29) the period still runs: the later date is set.
    on_time = to_processing(ogi)
    r = ogi.json("case", "delay", on_time, "--until", "2026-12-15", "--reason", "申请数量大，理由合理",
                 "--date", "2026-10-29", user="wang")
    assert r["deadlines"]["answer_due"] == "2026-12-15"


# --------------------------------------------------------------------------- item 11

SERVED_CASES = [
    # (command and its own options, step date, served date, what the refusal names)
    (("request-correction", "--items", "请写明文号"), "2026-09-28", "2026-09-27", "早于补正告知书发出之日 2026-09-28"),
    (("request-correction", "--items", "请写明文号"), "2026-09-28", "2026-09-23", "早于收到申请之日 2026-09-24"),
    (("request-correction", "--items", "请写明文号"), "2026-09-28", "2027-01-04", "晚于今天 2026-12-31"),
    (("consult", "--party", "某公司", "--kind", "third_party"), "2026-10-12", "2026-10-09", "早于征求意见书发出之日 2026-10-12"),
    (("consult", "--party", "某公司", "--kind", "agency"), "2026-10-12", "2026-09-20", "早于收到申请之日 2026-09-24"),
    (("consult", "--party", "某公司", "--kind", "agency"), "2026-10-12", "2027-01-04", "晚于今天 2026-12-31"),
    (("fee-notice", "--basis", "per_page", "--quantity", "40"), "2026-10-12", "2026-10-10", "早于收费通知发出之日 2026-10-12"),
    (("fee-notice", "--basis", "per_page", "--quantity", "40"), "2026-10-12", "2026-09-01", "早于收到申请之日 2026-09-24"),
    (("fee-notice", "--basis", "per_page", "--quantity", "40"), "2026-10-12", "2027-01-05", "晚于今天 2026-12-31"),
]


def test_served_dates_are_checked(ogi, monkeypatch):
    no_letters(monkeypatch)
    cid = to_processing(ogi)
    for (command, *opts), date, served, expected in SERVED_CASES:
        line = refused(ogi, "case", command, cid, *opts, "--served", served, "--date", date)
        assert expected in line and served in line, (command, served, line)
    assert ogi.json("case", "show", cid)["state"] == "processing"
    # Valid dates are kept and drive the clocks that start at receipt:
    # consultation served Wed 10/14: 15 WD: 10/15-16 (2), 10/19-23 (7), 10/26-30 (12), 11/2-4 (15).
    r = ogi.json("case", "consult", cid, "--party", "某公司", "--kind", "agency", "--served", "2026-10-14",
                 "--date", "2026-10-12")
    assert r["step"]["consultation_due"] == "2026-11-04"
    other = to_processing(ogi)
    # Correction notice served Wed 9/30: 15 WD: 10/8-9 (2), Sat 10/10 (3), 10/12-16 (8),
    # 10/19-23 (13), 10/26-27 (15) -> 10/27. A served date equal to the step date is fine too.
    r = ogi.json("case", "request-correction", other, "--items", "请写明文号", "--served", "2026-09-30",
                 "--date", "2026-09-28")
    assert r["deadlines"]["correction_due"] == "2026-10-27"


# --------------------------------------------------------------------------- item 12

def test_correction_restart_drops_the_old_extension(ogi, monkeypatch):
    no_letters(monkeypatch)
    cid = to_processing(ogi)
    # 10 WD extension of the first period on 9/28: 30 WD after 9/24 -> 11/12.
    r = ogi.json("case", "extend", cid, "--workdays", "10", "--reason", "需调取档案", "--date", "2026-09-28", user="wang")
    assert r["deadlines"]["answer_due"] == "2026-11-12"
    ogi.ok("case", "request-correction", cid, "--items", "请写明文号", "--date", "2026-09-29")
    r = ogi.json("case", "receive-correction", cid, "--date", "2026-10-09")
    # 条例第三十条: 20 WD from Fri 10/9 afresh, without the old 10: Sat 10/10 (1), 10/12-16 (6),
    # 10/19-23 (11), 10/26-30 (16), 11/2-5 (20) -> 11/5 (with the old extension it would be 11/19).
    assert r["deadlines"]["answer_due"] == "2026-11-05"
    answer = next(c for c in ogi.json("case", "explain", cid)["clocks"] if c["key"] == "answer")
    assert answer["workdays"] == 20 and any(line.startswith("不再适用：2026-09-28") for line in answer["explanation"])
    # The new period gets its own 20 WD: 40 WD after 10/9: 11/6 (21), 11/9-13 (26),
    # 11/16-20 (31), 11/23-27 (36), 11/30, 12/1-3 (40) -> 12/3.
    r = ogi.json("case", "extend", cid, "--workdays", "20", "--reason", "需调取档案", "--date", "2026-10-12", user="wang")
    assert r["deadlines"]["answer_due"] == "2026-12-03"
    # ... and no more: the cap counts the new period's extensions only, and those are at 20.
    line = refused(ogi, "case", "extend", cid, "--workdays", "1", "--reason", "再延", "--date", "2026-10-13", user="wang")
    assert "20个工作日" in line and "最多还能延长 0 个工作日" in line
    # Each extension was approved by the head and has its own notice: nothing to flag.
    assert "extension_unapproved" not in findings(ogi, cid)
    # Imported data that exceeds the cap within the new period is still flagged.
    import_event(int(cid), "extend", "2026-10-14", actor="wang", reason="再延", data={"workdays": 5})
    flagged = findings(ogi, cid)["extension_unapproved"]
    assert any("同一答复期限内延长累计 25 个工作日" in m for m in flagged), flagged


# --------------------------------------------------------------------------- the pure clock

def _facts(received: dt.date, extension: int) -> clk.CaseFacts:
    f = clk.CaseFacts(CaseState.REGISTERED, received)
    clk.apply_step(f, Trigger.ACCEPT, received, {}, "li")
    if extension:
        clk.apply_step(f, Trigger.EXTEND, received, {"workdays": extension}, "wang")
    return f


@settings(max_examples=300, deadline=None)
@given(received=st.dates(D(2026, 1, 5), D(2026, 8, 31)), extension=st.integers(0, 20),
       offset=st.integers(-25, 40), length=st.one_of(st.none(), st.integers(0, 30)),
       kind=st.sampled_from(["third_party", "agency", "fee"]))
def test_a_pause_counts_exactly_when_it_begins_before_expiry(received, extension, offset, length, kind):
    """条例第三十三条第三款: a pause begun on or before the last day moves the due date by its
    working days; one begun after it never changes the due date and never pauses the clock."""
    f = _facts(received, extension)
    before = clk.answer_clock(f, CAL)
    start = max(before.due + dt.timedelta(days=offset), received)
    end = None if length is None else start + dt.timedelta(days=length)
    if kind == "fee":
        clk.apply_step(f, Trigger.FEE_NOTICE, start, {"served_on": start.isoformat()}, "li")
        if end is not None:
            clk.apply_step(f, Trigger.FEE_PAID, end, {}, "li")
        cap = CAL.add(start, 20, allow_provisional=True)  # 国办函〔2020〕109号: 20 WD to pay
    else:
        clk.apply_step(f, Trigger.CONSULT, start, {"consultation_id": 1, "kind": kind, "party": "甲"}, "li")
        if end is not None:
            clk.apply_step(f, Trigger.CONSULTATION_REPLY, end, {"consultation_id": 1, "opinion": "agree"}, "li")
        cap = CAL.add(start, 15, allow_provisional=True)  # 条例第三十二条: 15 WD to answer
    after = clk.answer_clock(f, CAL)
    if start > before.due:
        assert after.due == before.due and not after.paused and after.running
    else:
        stop = cap if end is None else min(end, cap)
        excluded = CAL.count(start, stop, allow_provisional=True)
        assert after.due == CAL.add(received, 20 + extension + excluded, allow_provisional=True)
        assert after.paused is (end is None)


@settings(max_examples=200, deadline=None)
@given(received=st.dates(D(2026, 1, 5), D(2026, 8, 31)), first=st.integers(1, 20), second=st.integers(0, 20),
       gap=st.integers(0, 10), wait=st.integers(1, 20))
def test_a_correction_restarts_the_period_without_earlier_extensions(received, first, second, gap, wait):
    """条例第三十条: after a correction the answer period is 20 WD from its receipt plus the
    extensions granted for that period only (第三十三条第二款)."""
    f = _facts(received, first)
    asked = received + dt.timedelta(days=gap)
    clk.apply_step(f, Trigger.REQUEST_CORRECTION, asked, {"items": "x"}, "li")
    corrected = asked + dt.timedelta(days=wait)
    clk.apply_step(f, Trigger.RECEIVE_CORRECTION, corrected, {}, "li")
    assert f.extension_workdays == 0
    assert clk.answer_clock(f, CAL).due == CAL.add(corrected, 20, allow_provisional=True)
    if second:
        clk.apply_step(f, Trigger.EXTEND, corrected, {"workdays": second}, "wang")
        assert f.extension_workdays == second
        assert clk.answer_clock(f, CAL).due == CAL.add(corrected, 20 + second, allow_provisional=True)
