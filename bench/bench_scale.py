"""Scale: how list, sweep, annual report and audit grow with the size of an agency's records.

    .venv/bin/python bench/bench_scale.py [--sizes 10000,100000] [--open-share 0.1] [--backend sqlite]

For each size S a fresh database is filled with bulk SQL (SQLAlchemy Core executemany, not the
CLI) with a realistic, consistent agency: S applicants and S cases received 2024-01-02 ..
2026-12-30, of which (1 - open share) are historical and closed (answered through register,
accept, propose, decide, approve, deliver; some withdrawn) and the rest open (registered or
accepted in the last quarter, many of them overdue on the as-of day 2026-12-31). Every case has
its history events with a valid hash chain (engine/history.py event_hash), the cached state and
clock columns computed by the engine's own replay and clock code, its letters (receipt, reply)
numbered gap-free with the counters to match: `audit verify` finds nothing broken.

Timed, every size interleaved (A B A B ...) so that both see the same load, best of up to
5 rounds (fewer once an operation has used 40 s):

  list --overdue   engine/api.py list_cases(overdue=True)      ogi case list --overdue
  list             engine/api.py list_cases()                   ogi case list (open cases, first 200)
  sweep (cold)     engine/warnings.py sweep(as_of), outbox emptied first: every warning written
  sweep            the same again: everything already in the outbox   ogi warnings sweep
  annual report    engine/annual_report.py annual(year=2026)    ogi report annual
  audit verify     engine/audit.py verify()                     ogi audit verify

Figures are ratios measured in this run, in CPU time (SQLite runs in-process; on a shared,
busy machine CPU time is steadier than wall time; on PostgreSQL the server's share is not
counted): each operation at the larger size against the same operation at the first size
("growth"), next to the size factor: growth <= size factor (+15% for noise) is linear or better. The queries each operation runs are captured and shown with EXPLAIN QUERY
PLAN (SQLite) / EXPLAIN (PostgreSQL): the lists and the sweep must use indexes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header  # noqa: E402

AS_OF = dt.date(2026, 12, 31)
PG_BASE = os.environ.get("OGI_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CHUNK = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
SUBJECTS = ["道路改造工程立项批复", "征收补偿方案", "环境影响评价报告", "年度财政预算执行情况", "学校划片方案",
            "规划许可证及附图", "行政处罚决定书", "土地出让合同", "保障房分配名单公示材料", "河道整治工程招标文件"]
OUTCOMES = ["disclose"] * 10 + ["partial"] * 4 + ["withhold_third_party"] * 2 + ["unable_not_held"] * 3 + \
    ["not_responsible"] * 2 + ["disclose_already_public"] * 2


# --------------------------------------------------------------------------- generation

def _when(day: dt.date, rng: random.Random) -> str:
    from ogi.engine.history import SHANGHAI

    return dt.datetime(day.year, day.month, day.day, rng.randint(8, 17), rng.randint(0, 59), rng.randint(0, 59),
                       tzinfo=SHANGHAI).isoformat()


def _script(rng: random.Random, cal, received: dt.date, closed: bool) -> list[tuple]:
    """(actor, action, effective_on, reason, data) of one case's steps after registration."""
    clerk = rng.choice(("li", "chen"))
    accept = cal.add(received, rng.randint(0, 2), allow_provisional=True) if rng.random() < 0.9 else received
    steps = [(clerk, "accept", accept, "", {})]
    if not closed:
        return steps if rng.random() < 0.7 else []
    if rng.random() < 0.08:
        return steps + [(clerk, "withdraw", cal.add(accept, rng.randint(1, 10)), "申请人书面撤回申请", {})]
    outcome = rng.choice(OUTCOMES)
    propose = cal.add(accept, rng.randint(3, 14))
    reason = "涉及第三方商业秘密，经征求意见不同意公开" if outcome in ("partial", "withhold_third_party") else ""
    data = {"outcome": outcome, **({"withheld": "投标人报价明细"} if outcome == "partial" else {})}
    decide = cal.add(propose, rng.randint(0, 1))
    approve = cal.add(decide, rng.randint(0, 2))
    deliver = cal.add(approve, rng.randint(0, 3))
    return steps + [
        (clerk, "propose", propose, reason, data),
        (clerk, "decide", decide, "", {}),
        (rng.choice(("wang", "zhou")), "approve", approve, "", {}),
        (clerk, "deliver", deliver, "", {"method": rng.choice(("post", "electronic", "direct"))}),
    ]


def generate(engine, size: int, open_share: float, seed: int = 20260924) -> dict:
    """Bulk-insert one agency; returns row counts. Ids are assigned here (fresh database)."""
    from sqlalchemy import text

    from ogi.engine import clocks as clk
    from ogi.engine.calendar_store import load_calendar
    from ogi.engine.cases import _Ev, _refresh_cache
    from ogi.engine.config import load_config
    from ogi.engine.history import GENESIS, canonical_json, event_hash
    from ogi.engine.models import Applicant, Case, Counter, HistoryEvent, Letter
    from ogi.engine.numbering import family_of, format_number, kinds_for
    from ogi.states.machine import Trigger

    rng = random.Random(seed)
    cfg = load_config()
    cal = load_calendar(None)
    n_open = int(size * open_share)
    first, last_closed = dt.date(2024, 1, 2).toordinal(), dt.date(2026, 9, 30).toordinal()
    open_from = dt.date(2026, 10, 8).toordinal()
    received = sorted(dt.date.fromordinal(rng.randint(first, last_closed)) for _ in range(size - n_open))
    received += sorted(dt.date.fromordinal(rng.randint(open_from, AS_OF.toordinal() - 1)) for _ in range(n_open))
    counters: dict[tuple[str, int], int] = {}
    applicants, cases, events, letters = [], [], [], []
    ev_id = 0
    for i, day in enumerate(received, 1):
        closed = i <= size - n_open
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        kind = rng.choices(("natural", "commercial", "legal_service", "research"), (80, 10, 7, 3))[0]
        applicants.append({"id": i, "name": name, "kind": kind, "id_number": f"1101{rng.randrange(10**13, 10**14)}",
                           "phone": f"13{rng.randrange(10**8, 10**9)}", "email": "", "address": "示例市人民路",
                           "electronic_consent": True})
        counters[("case", day.year)] = seq = counters.get(("case", day.year), 0) + 1
        clerk = rng.choice(("li", "chen"))
        desc = f"{rng.choice(SUBJECTS)}（{day.year}年）"
        reg = {"received_on": day, "submitted_on": day, "channel": "in_person",
               "receipt_rule": "当面提交之日（条例第三十一条第（一）（二）项）", "applicant": name,
               "applicant_type": kind, "description": desc, "requested_form": "纸质", "clerk": clerk,
               "correction_period": cfg.rules.correction_period_workdays,
               "fee_pauses": cfg.rules.fee_pauses_answer_clock}
        steps = [(clerk, "register", day, "", reg)] + _script(rng, cal, day, closed)
        prev, replayed, case_events = GENESIS, [], []
        for n, (actor, action, eff, reason, data) in enumerate(steps, 1):
            ev_id += 1
            at = _when(eff, rng)
            payload = canonical_json(data)
            h = event_hash(i, n, at, actor, action, eff, reason, payload, prev)
            row = {"id": ev_id, "case_id": i, "seq": n, "recorded_at": at, "actor": actor, "action": action,
                   "effective_on": eff, "reason": reason, "data": payload, "prev_hash": prev, "hash": h}
            events.append(row)
            case_events.append(row)
            replayed.append(_Ev(SimpleNamespace(**row)))
            prev = h
        facts = clk.replay(replayed)
        case = SimpleNamespace()
        _refresh_cache(case, facts, clk.compute_clocks(facts, cal))
        cases.append({"id": i, "number": f"{day.year}-{seq:04d}", "applicant_id": i, "channel": "in_person",
                      "submitted_on": day, "received_on": day, "description": desc, "requested_form": "纸质",
                      "clerk": clerk, "created_at": _when(day, rng), "version": len(steps) + 1, **vars(case)})
        for row in case_events:
            trigger = None if row["action"] == "register" else Trigger(row["action"])
            for kind in kinds_for(trigger, json.loads(row["data"]), SimpleNamespace(outcome=facts.outcome)):
                family = family_of(kind)
                year = row["effective_on"].year
                counters[(f"letter:{family}", year)] = lseq = counters.get((f"letter:{family}", year), 0) + 1
                letters.append({"case_id": i, "kind": kind, "family": family, "year": year, "seq": lseq,
                                "number": format_number(cfg, family, year, lseq), "event_id": row["id"],
                                "issued_on": row["effective_on"], "status": "pending", "attempts": 0,
                                "last_error": "", "path": "", "sha256": "", "rendered_version": 0})
    with engine.begin() as conn:
        for table, rows in ((Applicant, applicants), (Case, cases), (HistoryEvent, events), (Letter, letters)):
            for k in range(0, len(rows), CHUNK):
                conn.execute(table.__table__.insert(), rows[k:k + CHUNK])
        conn.execute(Counter.__table__.insert(),
                     [{"scope": s, "year": y, "value": v} for (s, y), v in sorted(counters.items())])
        if conn.dialect.name == "postgresql":
            for t in ("applicant", "cases", "history_event", "letter"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"))
            conn.execute(text("ANALYZE"))
        else:
            conn.exec_driver_sql("ANALYZE")
    return {"cases": size, "open": n_open, "events": len(events), "letters": len(letters)}


# --------------------------------------------------------------------------- timing

class Capture:
    """The SELECT statements an operation runs (first of each text), for EXPLAIN."""

    def __init__(self, engine):
        self.engine, self.seen = engine, {}

    def __enter__(self):
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._on)
        return self

    def __exit__(self, *exc):
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._on)

    def _on(self, conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT") and statement not in self.seen and not executemany:
            self.seen[statement] = params


def explain(engine, statements: dict) -> list[str]:
    out = []
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        for sql, params in statements.items():
            cur = raw.cursor()
            if engine.dialect.name == "sqlite":
                cur.execute("EXPLAIN QUERY PLAN " + sql, params)
                plan = [r[-1] for r in cur.fetchall()]
            else:
                cur.execute("EXPLAIN " + sql, params)
                plan = [r[0] for r in cur.fetchall()]
            cur.close()
            out.append((" ".join(sql.split()), plan))
    return out


class Agency:
    """One generated database: its own OGI_HOME (SQLite) or PostgreSQL schema."""

    def __init__(self, backend: str, size: int, open_share: float):
        self.backend, self.size = backend, size
        self.home = Path(tempfile.mkdtemp(prefix="ogi-bench-scale-"))
        self.schema = "ogi_bench_" + secrets.token_hex(5) if backend == "postgres" else None
        if self.schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_BASE)
            with admin.begin() as c:
                c.execute(text(f"CREATE SCHEMA {self.schema}"))
            admin.dispose()
        self.use()
        from ogi.engine.config import DEFAULT_CONFIG, config_path
        from ogi.engine.db import database_url, get_engine
        from ogi.engine.schema import upgrade

        config_path().parent.mkdir(parents=True, exist_ok=True)
        config_path().write_text(DEFAULT_CONFIG, encoding="utf-8")  # what `ogi init` writes
        upgrade(database_url())
        t = time.perf_counter()
        self.counts = generate(get_engine(), size, open_share)
        self.generate_s = time.perf_counter() - t

    def use(self) -> None:
        os.environ.update(OGI_HOME=str(self.home), OGI_TODAY=AS_OF.isoformat(), OGI_USER="li")
        os.environ.pop("OGI_CONFIG", None)
        if self.schema:
            os.environ["OGI_DATABASE_URL"] = f"{PG_BASE}?options=-csearch_path%3D{self.schema}"
        else:
            os.environ.pop("OGI_DATABASE_URL", None)

    def clear_outbox(self) -> None:
        from sqlalchemy import text

        from ogi.engine.db import get_engine

        with get_engine().begin() as c:
            c.execute(text("DELETE FROM warning_delivery"))
            c.execute(text("DELETE FROM warning_outbox"))

    def drop(self) -> None:
        from ogi.engine.db import get_engine

        self.use()
        try:
            get_engine().dispose()
        except Exception:  # noqa: BLE001
            pass
        if self.schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_BASE)
            with admin.begin() as c:
                c.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            admin.dispose()
        shutil.rmtree(self.home, ignore_errors=True)


def operations() -> dict:
    from ogi.engine import api

    ops = {
        "list --overdue": lambda: api.list_cases("li", overdue=True, as_of=AS_OF),
        "list": lambda: api.list_cases("li", as_of=AS_OF),
    }
    try:
        from ogi.engine.warnings import sweep

        ops["sweep (cold)"] = lambda: sweep(AS_OF)  # on an emptied outbox: every warning written
        ops["sweep"] = lambda: sweep(AS_OF)         # again: everything already there
    except ImportError:
        pass
    try:
        from ogi.engine.annual_report import annual

        ops["annual report"] = lambda: annual("zhao", 2026)
    except ImportError:
        pass
    try:
        from ogi.engine.audit import verify

        ops["audit verify"] = lambda: verify("zhao")
    except ImportError:
        pass
    return ops


def describe(name: str, result: dict) -> str:
    if name.startswith("list"):
        return f"{len(result['cases'])} rows"
    if name.startswith("sweep"):
        return f"{result['candidates']} candidates, {result['created']} warnings created"
    if name == "audit verify":
        assert result["ok"], result["broken"][:3]
        return f"{result['cases']} cases, {result['events']} events: intact"
    if name == "annual report":
        return "balanced" if not result.get("imbalance") else "UNBALANCED"
    return ""


def measure(agencies: list, budget: float = 40.0) -> tuple[dict, dict, dict]:
    """Every operation on every agency, interleaved (A B A B ...) so that all sizes of one
    operation see the same machine load; best of up to 5 rounds (fewer past `budget` seconds).
    Returns times[op][size], facts[op][size] and the SELECTs of the largest agency per op."""
    from ogi.engine.db import get_engine

    ops = operations()
    times: dict = {op: {} for op in ops}
    facts: dict = {op: {} for op in ops}
    plans: dict = {}
    largest = agencies[-1]
    for op, fn in ops.items():
        spent = 0.0
        for rnd in range(5):
            for ag in agencies:
                ag.use()
                if op == "sweep (cold)":
                    ag.clear_outbox()
                cap = Capture(get_engine()) if (rnd == 0 and ag is largest) else None
                t = time.process_time()  # CPU time: SQLite runs in-process; a busy machine disturbs it less
                if cap is not None:
                    with cap:
                        result = fn()
                else:
                    result = fn()
                took = time.process_time() - t
                spent += took
                times[op][ag.size] = min(times[op].get(ag.size, float("inf")), took)
                if rnd == 0:
                    facts[op][ag.size] = describe(op, result)
                if cap is not None:
                    plans[op] = cap.seen
            if spent > budget:
                break
    return times, facts, plans


INDEXED = re.compile(r"USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|Index (Only )?Scan|Bitmap Index Scan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--open-share", type=float, default=0.1)
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    header("bench_scale", f"{args.backend}, agencies of {', '.join(map(str, sizes))} cases "
                          f"({args.open_share:.0%} open), as of {AS_OF}")
    agencies: list[Agency] = []
    try:
        for size in sizes:
            agencies.append(Agency(args.backend, size, args.open_share))
        times, facts, plans = measure(agencies)
        agencies[-1].use()
        from ogi.engine.db import get_engine

        explained = {op: explain(get_engine(), stmts) for op, stmts in plans.items()}
    finally:
        for ag in agencies:
            ag.drop()

    for ag in agencies:
        c = ag.counts
        print(f"size {ag.size}: {c['cases']} cases ({c['open']} open), {c['events']} history events, "
              f"{c['letters']} letters, generated in {ag.generate_s:.0f} s; " +
              "; ".join(f"{op}: {facts[op][ag.size]}" for op in facts if facts[op].get(ag.size)))
    base = sizes[0]
    print()
    print(f"{'operation':<16}" + "".join(f"{'time at ' + str(s // base) + 'x size':>22}" for s in sizes[1:])
          + "   growth")
    verdicts = []
    for op in times:
        cells, worst = "", "linear or better"
        for size in sizes[1:]:
            g = times[op][size] / times[op][base]
            f = size / base
            # +15% for the noise of a shared machine; n log n: what B-tree lookups cost anyway
            if g > f * 1.15:
                worst = "n log n" if g <= f * math.log(size) / math.log(base) * 1.15 else "SUPERLINEAR"
            cells += f"{g:>21.1f}x"
        verdicts.append(worst)
        print(f"{op:<16}{cells}   {worst}")
    print(f"(this run only, CPU at {base}: " + ", ".join(f"{op} {t[base] * 1000:.0f} ms" for op, t in times.items()) + ")")
    print()
    print(f"Query plans at {sizes[-1]} cases (EXPLAIN{' QUERY PLAN' if args.backend == 'sqlite' else ''}):")
    unindexed = []
    for op, rows in explained.items():
        if op == "sweep (cold)":
            continue  # the same SELECTs as the steady sweep
        for sql, plan in rows:
            if "alembic_version" in sql:
                continue
            print(f"-- {op}: {sql[:160]}{'…' if len(sql) > 160 else ''}")
            for line in plan:
                print(f"     {line[:150]}{'…' if len(line) > 150 else ''}")
            scans_cases = any(re.search(r"\bSCAN (TABLE )?cases\b|Seq Scan on cases", p) for p in plan)
            if op in ("list --overdue", "list", "sweep") and ("FROM cases" in sql or "JOIN cases" in sql):
                if scans_cases or not any(INDEXED.search(p) for p in plan):
                    unindexed.append((op, sql[:80]))
    linear = all(v == "linear or better" for v in verdicts)
    ok = linear and not unindexed
    if unindexed:
        print("NOT INDEXED:", unindexed)
    nlogn = sum(v == "n log n" for v in verdicts)
    print(f"RESULT bench_scale linear={'yes' if linear else 'NO'}"
          f"{f' ({nlogn} of {len(verdicts)} within n log n)' if nlogn else ''} "
          f"superlinear={'NO' if 'SUPERLINEAR' not in verdicts else 'YES'} "
          f"indexed={'yes' if not unindexed else 'NO'} {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
