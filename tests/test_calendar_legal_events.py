"""A calendar change is a legal event (issue 15 item 4): importing or replacing a year recomputes
every case whose periods reach into it, open or closed, logs each changed due date in the case's
history (`recompute`: before/after), and `ogi check` reports a closed case whose answer turned
late or timely because of it (条例第三十三条). SQLite and PostgreSQL, through the CLI."""
from __future__ import annotations

from pathlib import Path

import pytest

from legal_support import answer, no_letters, register

SHIPPED_2026 = (Path(__file__).parents[1] / "calendars" / "data" / "2026.toml").read_text(encoding="utf-8")
# Received Thu 2026-09-24: answer due 2026-10-29 by the shipped notice (test_engine_cases).
LONGER_NATIONAL_DAY = SHIPPED_2026.replace("off = [2026-10-01, 2026-10-07]", "off = [2026-10-01, 2026-10-08]")
EXTRA_MAKEUP_DAY = SHIPPED_2026.replace("workdays = [2026-10-10]", "workdays = [2026-10-10, 2026-10-11]")


def write(tmp_path, name: str, content: str):
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    return p


@pytest.fixture
def fast(ogi, monkeypatch):
    no_letters(monkeypatch)
    return ogi


def history(ogi, cid: int) -> list[dict]:
    return ogi.json("case", "show", str(cid))["history"]


def recomputes(ogi, cid: int) -> list[dict]:
    return [e for e in history(ogi, cid) if e["action"] == "recompute"]


def findings(ogi, rule: str, *args: str) -> list[dict]:
    return [f for f in ogi.json("check", *args)["findings"] if f["rule"] == rule]


def test_replacing_a_year_recomputes_closed_cases_and_check_reports_the_change(fast, tmp_path):
    ogi = fast
    late = register(ogi, "2026-09-24")  # answered 10-30: one day late by the shipped notice
    answer(ogi, late, accept="2026-09-25", propose="2026-10-27", deliver="2026-10-30")
    timely = register(ogi, "2026-09-24")  # answered 10-29: the last day
    answer(ogi, timely, accept="2026-09-25", propose="2026-10-27", deliver="2026-10-29")
    old = register(ogi, "2025-03-03")  # 2025 only: no period reaches into 2026
    answer(ogi, old, accept="2025-03-04", propose="2025-03-10", deliver="2025-03-12")
    numbers = {cid: ogi.json("case", "show", str(cid))["number"] for cid in (late, timely, old)}
    assert [f["case"] for f in findings(ogi, "answer_late", "--all")] == [numbers[late]]
    assert findings(ogi, "answer_late_after_calendar", "--all") == []

    # 1. a longer 国庆: answer due 10-30; the late answer is now timely
    r = ogi.json("calendar", "import", str(write(tmp_path, "longer.toml", LONGER_NATIONAL_DAY)), "--replace",
                 user="admin")
    changed = {x["case"]: x for x in r["changed_cases"]}
    assert set(changed) == {numbers[late], numbers[timely]}
    assert changed[numbers[late]]["closed"] is True
    assert changed[numbers[late]]["before"]["answer_due"] == "2026-10-29"
    assert changed[numbers[late]]["after"]["answer_due"] == "2026-10-30"
    ev = recomputes(ogi, late)
    assert len(ev) == 1 and ev[0]["actor"] == "admin" and "2026" in ev[0]["reason"]
    assert ev[0]["data"]["before"]["answer_due"] == "2026-10-29" and ev[0]["data"]["after"]["answer_due"] == "2026-10-30"
    shown = ogi.json("case", "show", str(late))
    assert shown["state"] == "answered" and history(ogi, late)[-2]["action"] == "deliver"  # no state change
    assert recomputes(ogi, old) == []
    assert findings(ogi, "answer_late", "--all") == []
    [f] = findings(ogi, "answer_late_after_calendar", "--all")
    assert f["case"] == numbers[late] and f["article"] == "条例第三十三条"
    assert "答复期限由 2026-10-29 变为 2026-10-30" in f["message"] and "原属逾期答复现为按期答复" in f["message"]
    assert findings(ogi, "answer_late_after_calendar", numbers[late]) == [f]
    text = ogi.ok("check", "--all").stdout
    assert "节假日安排变更" in text and numbers[late] in text

    # 2. instead one more make-up working day: answer due 10-28; the timely answer is now late
    out = ogi.ok("calendar", "import", str(write(tmp_path, "makeup.toml", EXTRA_MAKEUP_DAY)), "--replace",
                 user="admin").stdout
    assert "已办结" in out and numbers[timely] in out and "2026-10-30 → 2026-10-28" in out
    assert [e["data"]["after"]["answer_due"] for e in recomputes(ogi, timely)] == ["2026-10-30", "2026-10-28"]
    [f] = findings(ogi, "answer_late_after_calendar", "--all")  # late: 10-29 before, 10-28 now -> still late
    assert f["case"] == numbers[timely]
    assert "答复期限由 2026-10-29 变为 2026-10-28" in f["message"] and "原按期答复现为逾期答复" in f["message"]
    assert {x["case"] for x in findings(ogi, "answer_late", "--all")} == {numbers[late], numbers[timely]}
    assert recomputes(ogi, old) == []


def test_a_case_the_year_does_not_touch_gets_no_event(fast, tmp_path):
    ogi = fast
    old = register(ogi, "2025-03-03")
    answer(ogi, old, accept="2025-03-04", propose="2025-03-10", deliver="2025-03-12")
    r = ogi.json("calendar", "import", str(write(tmp_path, "longer.toml", LONGER_NATIONAL_DAY)), "--replace",
                 user="admin")
    assert r["changed_cases"] == []
    assert recomputes(ogi, old) == []
    assert "期限均无变化" in ogi.ok("calendar", "import", str(write(tmp_path, "m.toml", EXTRA_MAKEUP_DAY)),
                                 "--replace", user="admin").stdout
