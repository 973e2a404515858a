"""The warning sweep on SQLite and PostgreSQL: a database seeded with cases at every working-day
distance from their deadlines (every kind of clock, a closed case) yields exactly the expected
outbox; reruns and concurrent sweeps add nothing; the next day climbs one level; a moved due
date re-arms; a paused clock warns nobody."""
from __future__ import annotations

import datetime as dt
import threading

import pytest

from warnings_support import outbox_keys, received_for, shift

AS_OF = dt.date(2026, 11, 16)  # a Monday without holidays around it


@pytest.fixture(autouse=True)
def _no_letter_rendering(monkeypatch):
    """These tests are about clocks, not letters: skip the PDF rendering after each step."""
    monkeypatch.setattr("ogi.engine.api.after_commit", lambda case_id: [])


def seed(ogi, cal) -> dict:
    """Cases keyed by a label; each value is its case number."""
    cases: dict[str, str] = {}

    def reg(received: dt.date) -> str:
        return ogi.register(received.isoformat())["number"]

    # Answer clocks (20 WD) at distances 7 .. -2 working days from AS_OF.
    for k in (7, 6, 5, 4, 3, 2, 1, 0, -1, -2):
        due = shift(cal, AS_OF, k)
        r = received_for(cal, due)
        n = reg(r)
        ogi.ok("case", "accept", n, "--date", r.isoformat())
        assert ogi.json("case", "show", n)["deadlines"]["answer_due"] == due.isoformat()
        cases[f"answer{k}"] = n
    # Registered, not accepted: the correction-notice clock (7 WD) is 1 WD away.
    r = received_for(cal, shift(cal, AS_OF, 1), 7)
    cases["notice1"] = reg(r)
    # Waiting for the applicant's correction (15 WD from the notice): 3 WD away.
    d = received_for(cal, shift(cal, AS_OF, 3), 15)
    n = reg(shift(cal, d, -2))
    ogi.ok("case", "request-correction", n, "--items", "请写明文号", "--date", d.isoformat())
    cases["correction3"] = n
    # Consulting a third party (15 WD): 2 WD away; the answer clock is paused meanwhile.
    c = received_for(cal, shift(cal, AS_OF, 2), 15)
    n = reg(shift(cal, c, -3))
    ogi.ok("case", "accept", n, "--date", shift(cal, c, -3).isoformat())
    cid = ogi.json("case", "consult", n, "--party", "某建设公司", "--kind", "third_party", "--date", c.isoformat())["step"]["consultation_id"]
    cases["consult2"] = n
    cases["consult_id"] = str(cid)
    # A fee notice (20 WD to pay) due today; the answer clock is paused (config default).
    f = received_for(cal, AS_OF, 20)
    n = reg(shift(cal, f, -2))
    ogi.ok("case", "accept", n, "--date", shift(cal, f, -2).isoformat())
    ogi.ok("case", "fee-notice", n, "--basis", "per_page", "--quantity", "50", "--date", f.isoformat())
    cases["payment0"] = n
    # Closed (withdrawn) although its answer clock would be 1 WD away: nobody is warned.
    r = received_for(cal, shift(cal, AS_OF, 1))
    n = reg(r)
    ogi.ok("case", "accept", n, "--date", r.isoformat())
    ogi.ok("case", "withdraw", n, "--date", r.isoformat())
    cases["closed1"] = n
    return cases


def expected_day0(cal, cases) -> set[tuple]:
    level = {5: "wd5", 4: "wd5", 3: "wd3", 2: "wd3", 1: "wd1", 0: "due_today", -1: "overdue", -2: "overdue"}
    out = {(cases[f"answer{k}"], "answer", lv, shift(cal, AS_OF, k).isoformat()) for k, lv in level.items()}
    out |= {
        (cases["notice1"], "correction_notice", "wd1", shift(cal, AS_OF, 1).isoformat()),
        (cases["correction3"], "correction", "wd3", shift(cal, AS_OF, 3).isoformat()),
        (cases["consult2"], f"consultation:{cases['consult_id']}", "wd3", shift(cal, AS_OF, 2).isoformat()),
        (cases["payment0"], "payment", "due_today", AS_OF.isoformat()),
    }
    return out


def assert_bulk_replay_equals_facts_of(n_cases: int) -> None:
    """The sweep loads histories in bulk; it must see exactly what engine.cases.facts_of sees."""
    from ogi.engine.cases.steps import facts_of
    from ogi.engine.config import load_config
    from ogi.engine.store.db import read_session
    from ogi.engine.notify.outbox import load_facts

    cfg = load_config()
    with read_session() as s:
        ids = list(range(1, n_cases + 1))
        bulk = load_facts(s.connection(), ids, cfg)
        for i in ids:
            assert bulk[i] == facts_of(s, i, cfg), i


def test_sweep_yields_exactly_the_expected_warnings(ogi, calendar):
    cal = calendar
    cases = seed(ogi, cal)
    assert_bulk_replay_equals_facts_of(15)
    r = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    expected = expected_day0(cal, cases)
    assert outbox_keys(ogi) == expected
    assert r["created"] == len(expected) == r["due"] and r["existing"] == 0
    # Candidates come from the indexed cache: the 14 open cases minus the 6- and 7-WD ones.
    assert r["candidates"] == 12
    by_case = {(w["case"], w["clock"]): w for w in r["warnings"]}
    w = by_case[(cases["answer1"], "answer")]
    assert w["workdays_left"] == 1 and w["level_label"] == "到期前1个工作日"
    # 1 WD and later levels escalate to the head (wang) and the legal office (zhao).
    assert [x["user"] for x in w["recipients"]] == ["li", "wang", "zhao"]
    assert [x["user"] for x in by_case[(cases["answer4"], "answer")]["recipients"]] == ["li"]
    assert by_case[(cases["answer-2"], "answer")]["workdays_left"] == -2

    # A rerun, same day: nothing new, nothing changed.
    again = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert again["created"] == 0 and again["existing"] == len(expected) and again["warnings"] == []
    assert outbox_keys(ogi) == expected

    # The next working day every clock climbs at most one level; reached levels are not repeated.
    day1 = shift(cal, AS_OF, 1)
    r1 = ogi.json("warnings", "sweep", "--as-of", day1.isoformat())
    new = {(w["case"], w["clock"], w["level"], w["due_on"]) for w in r1["warnings"]}
    assert new == {
        (cases["answer6"], "answer", "wd5", shift(cal, AS_OF, 6).isoformat()),
        (cases["answer4"], "answer", "wd3", shift(cal, AS_OF, 4).isoformat()),
        (cases["answer2"], "answer", "wd1", shift(cal, AS_OF, 2).isoformat()),
        (cases["answer1"], "answer", "due_today", shift(cal, AS_OF, 1).isoformat()),
        (cases["answer0"], "answer", "overdue", AS_OF.isoformat()),
        (cases["notice1"], "correction_notice", "due_today", shift(cal, AS_OF, 1).isoformat()),
        (cases["consult2"], f"consultation:{cases['consult_id']}", "wd1", shift(cal, AS_OF, 2).isoformat()),
        (cases["payment0"], "payment", "overdue", AS_OF.isoformat()),
    }
    assert outbox_keys(ogi) == expected | new


def test_moved_due_date_rearms_and_closing_silences(ogi, calendar):
    cal = calendar
    due = shift(cal, AS_OF, 1)
    r = received_for(cal, due)
    n = ogi.register(r.isoformat())["number"]
    ogi.ok("case", "accept", n, "--date", r.isoformat())
    first = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert [(w["clock"], w["level"], w["due_on"]) for w in first["warnings"]] == [("answer", "wd1", due.isoformat())]
    # 条例第三十三条第二款: the head extends by 3 WD -> a new due date, a new (less urgent) warning.
    ogi.ok("case", "extend", n, "--workdays", "3", "--reason", "需调取档案", "--date", AS_OF.isoformat(), user="wang")
    moved = shift(cal, AS_OF, 4)
    second = ogi.json("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert [(w["clock"], w["level"], w["due_on"]) for w in second["warnings"]] == [("answer", "wd5", moved.isoformat())]
    # Closed: later sweeps find nothing for it, whatever the date.
    ogi.ok("case", "withdraw", n, "--date", AS_OF.isoformat())
    for k in (1, 3, 4, 6):
        assert ogi.json("warnings", "sweep", "--as-of", shift(cal, AS_OF, k).isoformat())["created"] == 0


def test_two_sweeps_at_once_never_duplicate(ogi, calendar, monkeypatch):
    """Both sweeps compute before either writes (a barrier in the write step); the unique key
    and INSERT .. ON CONFLICT DO NOTHING leave one row per warning, and the rows each sweep
    reports as created add up to exactly the warnings."""
    from ogi.engine.notify import outbox

    cal = calendar
    for k in (0, 1, 2, 4):
        r = received_for(cal, shift(cal, AS_OF, k))
        n = ogi.register(r.isoformat())["number"]
        ogi.ok("case", "accept", n, "--date", r.isoformat())
    barrier = threading.Barrier(2, timeout=30)
    real = outbox._write_planned

    def synchronised(*args, **kw):
        barrier.wait()
        return real(*args, **kw)

    monkeypatch.setattr(outbox, "_write_planned", synchronised)
    results, errors = [], []

    def run():
        try:
            results.append(outbox.sweep(AS_OF))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert sum(r["created"] for r in results) == 4
    rows = ogi.json("warnings", "list")
    assert len(rows) == 4 == len({(w["case"], w["clock"], w["level"], w["due_on"]) for w in rows})
    # one delivery row per recipient and channel, never two
    for w in rows:
        keys = [(d["user"], d["channel"]) for d in w["recipients"]]
        assert len(keys) == len(set(keys))


def test_paused_and_closed_clocks_warn_nobody_pure(calendar):
    from ogi.engine.cases.clocks import Clock
    from ogi.engine.notify.outbox import plan_case

    clocks = [
        Clock("answer", "答复期限", AS_OF, running=False, paused=True),           # paused: silent
        Clock("correction_notice", "补正告知期限", AS_OF, running=False),         # closed: silent
        Clock("consultation:7", "征求意见", shift(calendar, AS_OF, 1), running=True),
    ]
    got = plan_case(1, "2026-0001", "li", clocks, AS_OF, calendar, (5, 3, 1))
    assert [(p.clock, p.level) for p in got] == [("consultation:7", "wd1")]


def test_sweep_json_shape_and_human_output(ogi_sqlite, calendar):
    ogi = ogi_sqlite
    r = received_for(calendar, shift(calendar, AS_OF, 3))
    ogi.register(r.isoformat())
    ogi.ok("case", "accept", "1", "--date", r.isoformat())
    out = ogi.ok("warnings", "sweep", "--as-of", AS_OF.isoformat()).stdout
    assert "新写入发件箱 1 条" in out and "2026-0001" in out and "到期前3个工作日" in out
    # the default config has no mail server and no robot: the sweep says nobody can be reached
    assert "没有可用的提醒渠道" in out
    rows = ogi.json("warnings", "list")
    assert rows[0]["case"] == "2026-0001" and rows[0]["status"] == "undeliverable" and rows[0]["sent"] is False
    assert set(rows[0]) >= {"case", "clock", "level", "due_on", "recipients", "status", "sent"}
    bad = ogi("warnings", "sweep", "--as-of", "2026-13-01")
    assert bad.exit_code == 1 and "不存在" in bad.stderr and "Traceback" not in bad.stderr


@pytest.mark.parametrize("text, needle", [
    ('[warnings.smtp]\nport = 25\nsender = "a@b.cn"\n', "缺少 host"),
    ('[warnings.smtp]\nhost = "x"\nport = "25"\nsender = "a@b.cn"\n', "warnings.smtp.port 应为整数"),
    ('[warnings.smtp]\nhost = "x"\nsender = "nobody"\n', "发件邮箱地址"),
    ('[warnings.smtp]\nhost = "x"\nsender = "a@b.cn"\npassword_env = "OGI_NO_SUCH_VAR_X"\n', "OGI_NO_SUCH_VAR_X 未设置"),
])
def test_bad_delivery_config_is_one_clear_line(ogi_sqlite, monkeypatch, text, needle):
    from warnings_support import write_config

    write_config(ogi_sqlite, monkeypatch, extra="\n" + text)
    r = ogi_sqlite("warnings", "sweep", "--as-of", AS_OF.isoformat())
    assert r.exit_code == 1 and needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_bad_webhook_and_unknown_supervisor(ogi_sqlite, monkeypatch):
    from warnings_support import write_config

    write_config(ogi_sqlite, monkeypatch, webhook="ftp://robot")
    r = ogi_sqlite("warnings", "send")
    assert r.exit_code == 1 and "warnings.webhook" in r.stderr
    path = write_config(ogi_sqlite, monkeypatch)
    path.write_text(path.read_text("utf-8").replace('supervisors = ["wang"]', 'supervisors = ["nobody"]'), "utf-8")
    r = ogi_sqlite("warnings", "sweep")
    assert r.exit_code == 1 and "nobody" in r.stderr and "未在 [users] 中登记" in r.stderr
