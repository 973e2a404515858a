"""Several real OS processes writing at once, on a SQLite file and on PostgreSQL.

Promises checked: no lost update (every successful step is in the history exactly once, the
chains verify, the case row equals the replay of its history), no duplicate or missing case
number or 文号, and every refused writer gets one clear Chinese line (exit 1, no traceback).

Numbers and timings are printed (run with -s to see them).
"""
from __future__ import annotations

import collections
import statistics
import subprocess
import time

import pytest

from reliability_support import (VENV_BIN, Instance, assert_clear_refusal, audit_database,
                                 run_cli, run_together)

WORKERS = 4


def _register(received: str = "2026-09-24") -> int:
    r = run_cli(["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel", "in_person",
                 "--received", received, "--description", "某道路改造工程立项批复", "--json"], user="li")
    assert r.exit_code == 0, r.output
    return r.json["id"]


def _actions(inst: Instance, case_id: int) -> collections.Counter:
    from sqlalchemy import text

    with inst.engine().connect() as c:
        rows = c.execute(text("SELECT action FROM history_event WHERE case_id = :c"), {"c": case_id}).all()
    return collections.Counter(a for (a,) in rows)


def _clean_audit(inst: Instance) -> None:
    a = audit_database(inst.url)
    assert not a.problems, a.problems


def _latency(records: list[dict]) -> str:
    ms = [1000 * (r["t1"] - r["t0"]) for r in records if "t0" in r]
    if not ms:
        return "-"
    return f"median {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms over {len(ms)} commands"


def _step_name(argv: list[str]) -> str:
    return argv[1].replace("-", "_")


def test_same_case_race(inst, tmp_path):
    """Four processes push the same case through every step at the same instant: each step
    happens exactly once, the losers are told the case moved on."""
    cid = str(_register())
    plans = []
    for i in range(WORKERS):
        clerk, reviewer = ("li", "chen")[i % 2], ("wang", "zhou")[i % 2]
        plans.append(({"mode": "commands", "warm_letters": True, "commands": [
            {"argv": ["case", "accept", cid, "--json"], "user": clerk},
            {"argv": ["case", "propose", cid, "--outcome", "disclose", "--json"], "user": clerk},
            {"argv": ["case", "decide", cid, "--json"], "user": clerk},
            {"argv": ["case", "approve", cid, "--json"], "user": reviewer},
            {"argv": ["case", "deliver", cid, "--method", "direct", "--json"], "user": clerk},
        ]}, clerk))
    results, wall = run_together(inst, plans, tmp_path)
    records = [r for rs in results for r in rs if "argv" in r]
    wins = collections.Counter(_step_name(r["argv"]) for r in records if r["rc"] == 0)
    refused = [r for r in records if r["rc"] != 0]
    print(f"\n[{inst.backend}] same-case race: {WORKERS} processes x 5 steps in {wall:.2f} s; "
          f"{sum(wins.values())} succeeded, {len(refused)} refused; {_latency(records)}")
    assert wins == {"accept": 1, "propose": 1, "decide": 1, "approve": 1, "deliver": 1}, wins
    for r in refused:
        assert_clear_refusal(type("R", (), {"exit_code": r["rc"], "stdout": r["raw"] or "", "stderr": r["stderr"],
                                            "output": (r["raw"] or "") + r["stderr"]})(), what=" ".join(r["argv"]))
        assert ("当前状态" in r["stderr"] or "其他人修改" in r["stderr"]), r["stderr"]
    hist = _actions(inst, int(cid))
    for step in ("register", "accept", "propose", "decide", "approve", "deliver"):
        assert hist[step] == 1, hist
    shown = run_cli(["case", "show", cid, "--json"]).json
    assert shown["state"] == "answered"
    _clean_audit(inst)


def test_extension_cap_is_never_exceeded(inst, tmp_path):
    """Eight concurrent 3-day extensions against a 20-day cap: exactly six succeed (a lost update
    would let a seventh through or drop one from the history)."""
    cid = str(_register())
    assert run_cli(["case", "accept", cid, "--date", "2026-09-25"]).exit_code == 0
    # Two of the workers also render the extension notices after each commit, so letter
    # rendering (which appends to the same chain) races with the steps.
    plans = [({"mode": "commands", "render": i < 2, "commands": [
        {"argv": ["case", "extend", cid, "--workdays", "3", "--reason", f"w{i}-{j}", "--date", "2026-10-20", "--json"],
         "user": "wang"} for j in range(2)]}, "wang") for i in range(WORKERS)]
    results, wall = run_together(inst, plans, tmp_path)
    records = [r for rs in results for r in rs if "argv" in r]
    ok = [r for r in records if r["rc"] == 0]
    refused = [r for r in records if r["rc"] != 0]
    print(f"\n[{inst.backend}] extension race: {len(records)} extends in {wall:.2f} s; {len(ok)} succeeded, "
          f"{len(refused)} refused; {_latency(records)}")
    assert len(ok) == 6, [(r["rc"], r["stderr"]) for r in records]
    for r in refused:
        assert r["rc"] == 1 and "Traceback" not in r["stderr"] + (r["raw"] or "")
        assert "不得超过20个工作日" in r["stderr"] or "其他人修改" in r["stderr"], r["stderr"]
    from sqlalchemy import text

    with inst.engine().connect() as c:
        reasons = [x for (x,) in c.execute(text("SELECT reason FROM history_event WHERE case_id = :c AND action = 'extend'"),
                                           {"c": int(cid)})]
    assert sorted(reasons) == sorted(r["argv"][6] for r in ok)  # each success exactly once, nothing else
    shown = run_cli(["case", "show", cid, "--json"]).json
    from ogi.calendars import WorkCalendar, bundled_years
    import datetime as dt

    cal = WorkCalendar(bundled_years())
    assert shown["deadlines"]["answer_due"] == cal.add(dt.date(2026, 9, 24), 20 + 18).isoformat()
    _clean_audit(inst)


def test_many_writers_many_cases(inst, tmp_path):
    """Four processes each register three cases and take them to delivery at once: case numbers
    and 文号 stay unique and gap-free, every step is recorded once."""
    per = 3
    plans = [({"mode": "lifecycle", "cases": per, "render": False, "clerk": ("li", "chen")[i % 2],
               "reviewer": ("wang", "zhou")[i % 2]}, "li") for i in range(WORKERS)]
    results, wall = run_together(inst, plans, tmp_path)
    records = [r for rs in results for r in rs if "argv" in r]
    failed = [r for r in records if r["rc"] != 0]
    assert not failed, [(r["argv"], r["stderr"]) for r in failed]
    ids = sorted(r["json"]["id"] for r in records if r["argv"][1] == "register")
    numbers = sorted(r["json"]["number"] for r in records if r["argv"][1] == "register")
    assert len(ids) == WORKERS * per and len(set(numbers)) == len(numbers)
    assert numbers == [f"2026-{n:04d}" for n in range(1, WORKERS * per + 1)]
    for cid in ids:
        hist = _actions(inst, cid)
        for step in ("register", "accept", "propose", "decide", "approve", "deliver"):
            assert hist[step] == 1, (cid, hist)
    a = audit_database(inst.url)
    assert not a.problems, a.problems
    from sqlalchemy import text

    with inst.engine().connect() as c:
        fams = c.execute(text("SELECT family, count(*), max(seq), count(DISTINCT number) FROM letter GROUP BY family")).all()
        rendered = c.execute(text("SELECT count(*) FROM letter WHERE status = 'rendered'")).scalar_one()
    for fam, n, mx, distinct in fams:
        assert n == mx == distinct, (fam, n, mx, distinct)
    print(f"\n[{inst.backend}] {WORKERS} writers x {per} cases: {len(records)} commands in {wall:.2f} s "
          f"({len(records) / wall:.1f}/s); {a.events} history events, {a.letters} letters "
          f"({rendered} rendered) in families {dict((f, n) for f, n, *_ in fams)}; {_latency(records)}")


@pytest.fixture
def inst_sqlite():
    i = Instance.create("sqlite")
    yield i
    i.close()


def test_console_scripts_race(inst_sqlite):
    """The installed `ogi` command itself: three processes accept the same case at once, two
    register at once. (On SQLite: the worker tests above cover both backends.)"""
    inst = inst_sqlite
    cid = str(_register())
    env = {u: inst.subprocess_env(u) for u in ("li", "chen")}
    t0 = time.perf_counter()
    procs = [subprocess.Popen([str(VENV_BIN / "ogi"), "case", "accept", cid], env=env[("li", "chen")[i % 2]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(3)]
    procs += [subprocess.Popen([str(VENV_BIN / "ogi"), "case", "register", "--applicant", f"李{i}", "--applicant-type",
                                "natural", "--channel", "in_person", "--received", "2026-09-24", "--description", "并发",
                                "--json"], env=env["li"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for i in range(2)]
    outs = [(p.wait(timeout=120), *p.communicate()) for p in procs]
    wall = time.perf_counter() - t0
    accepts, registers = outs[:3], outs[3:]
    assert sorted(rc for rc, *_ in accepts) == [0, 1, 1], accepts
    for rc, out, err in accepts:
        if rc:
            assert "当前状态" in err and "Traceback" not in out + err, err
    assert all(rc == 0 for rc, *_ in registers), registers
    print(f"\n[{inst.backend}] console scripts: 5 `ogi` processes in {wall:.2f} s")
    assert _actions(inst, int(cid))["accept"] == 1
    _clean_audit(inst)
