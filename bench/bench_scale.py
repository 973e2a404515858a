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

Timed (best of 3 warm runs, of 2 above 2 s; the sweep also cold, on an empty outbox, once):

  list --overdue   engine/api.py list_cases(overdue=True)      ogi case list --overdue
  list             engine/api.py list_cases()                   ogi case list (open cases, first 200)
  sweep            engine/warnings.py sweep(as_of)              ogi warnings sweep
  annual report    engine/annual_report.py annual(year=2026)    ogi report annual
  audit verify     engine/audit.py verify()                     ogi audit verify

Figures are ratios measured in this run: each operation at the larger size against the same
operation at the first size ("growth"), next to the size factor: growth <= size factor is
linear or better. The queries each operation runs are captured and shown with EXPLAIN QUERY
PLAN (SQLite) / EXPLAIN (PostgreSQL): the lists and the sweep must use indexes.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
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


def best_of(fn, n: int = 3, budget: float = 8.0) -> float:
    """Best of n runs, fewer when the runs together pass `budget` seconds."""
    best, spent = float("inf"), 0.0
    for _ in range(n):
        t = time.perf_counter()
        fn()
        took = time.perf_counter() - t
        best, spent = min(best, took), spent + took
        if spent > budget:
            break
    return best


def run_size(backend: str, size: int, open_share: float, show_plans: bool) -> dict:
    home = Path(tempfile.mkdtemp(prefix="ogi-bench-scale-"))
    os.environ.update(OGI_HOME=str(home), OGI_TODAY=AS_OF.isoformat(), OGI_USER="li")
    os.environ.pop("OGI_CONFIG", None)
    schema = None
    if backend == "postgres":
        from sqlalchemy import create_engine, text

        schema = "ogi_bench_" + secrets.token_hex(5)
        admin = create_engine(PG_BASE)
        with admin.begin() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        os.environ["OGI_DATABASE_URL"] = f"{PG_BASE}?options=-csearch_path%3D{schema}"
    else:
        os.environ.pop("OGI_DATABASE_URL", None)
    try:
        from ogi.engine import api
        from ogi.engine.config import DEFAULT_CONFIG, config_path
        from ogi.engine.db import database_url, get_engine
        from ogi.engine.schema import upgrade

        config_path().parent.mkdir(parents=True, exist_ok=True)
        config_path().write_text(DEFAULT_CONFIG, encoding="utf-8")
        upgrade(database_url())
        engine = get_engine()
        t = time.perf_counter()
        counts = generate(engine, size, open_share)
        gen_s = time.perf_counter() - t

        ops = {
            "list --overdue": lambda: api.list_cases("li", overdue=True, as_of=AS_OF),
            "list": lambda: api.list_cases("li", as_of=AS_OF),
        }
        try:
            from ogi.engine.warnings import sweep
            ops["sweep"] = lambda: sweep(AS_OF)
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

        times, plans, facts = {}, {}, {}
        if "sweep" in ops:
            t = time.perf_counter()
            r = ops["sweep"]()
            times["sweep (cold)"] = time.perf_counter() - t
            facts["sweep"] = f"{r['candidates']} candidates, {r['created']} warnings created"
        for name, fn in ops.items():
            t = time.perf_counter()
            with Capture(engine) as cap:
                result = fn()
            first = time.perf_counter() - t
            plans[name] = cap.seen
            times[name] = min(first, best_of(fn, 2 if first > 2 else 3))
            if name.startswith("list"):
                facts[name] = f"{len(result['cases'])} rows"
            elif name == "audit verify":
                assert result["ok"], result["broken"][:3]
                facts[name] = f"{result['cases']} cases, {result['events']} events: intact"
            elif name == "annual report":
                facts[name] = "balanced" if not result.get("imbalance") else "UNBALANCED"
        explained = {name: explain(engine, stmts) for name, stmts in plans.items()} if show_plans else {}
        return {"size": size, "counts": counts, "generate_s": gen_s, "times": times, "facts": facts,
                "plans": explained, "backend": backend}
    finally:
        from ogi.engine.db import get_engine

        try:
            get_engine().dispose()
        except Exception:  # noqa: BLE001
            pass
        if schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_BASE)
            with admin.begin() as c:
                c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            admin.dispose()
        shutil.rmtree(home, ignore_errors=True)


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
    runs = [run_size(args.backend, s, args.open_share, show_plans=(i == len(sizes) - 1)) for i, s in enumerate(sizes)]
    for r in runs:
        c = r["counts"]
        print(f"size {r['size']}: {c['cases']} cases ({c['open']} open), {c['events']} history events, "
              f"{c['letters']} letters, generated in {r['generate_s']:.0f} s; " +
              "; ".join(f"{k}: {v}" for k, v in r["facts"].items()))
    base = runs[0]
    print()
    print(f"{'operation':<16}" + "".join(f"{'growth ' + str(r['size'] // base['size']) + 'x size':>20}" for r in runs[1:])
          + "   linear or better?")
    verdicts = []
    for op in base["times"]:
        cells, ok = "", True
        for r in runs[1:]:
            g = r["times"][op] / base["times"][op]
            factor = r["size"] / base["size"]
            ok = ok and g <= factor * 1.15  # 15% for the noise of a shared machine
            cells += f"{g:>19.1f}x"
        verdicts.append(ok)
        print(f"{op:<16}{cells}   {'yes' if ok else 'NO'}")
    print(f"(this run only, at {base['size']}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in base["times"].items())
          + ")")
    last = runs[-1]
    print()
    print(f"Query plans at {last['size']} cases (EXPLAIN {'QUERY PLAN' if args.backend == 'sqlite' else ''}):")
    unindexed = []
    for op in ("list --overdue", "list", "sweep", "annual report", "audit verify"):
        for sql, plan in last["plans"].get(op, []):
            if "alembic_version" in sql:
                continue
            print(f"-- {op}: {sql[:160]}{'…' if len(sql) > 160 else ''}")
            for line in plan:
                print(f"     {line}")
            scans_cases = any(re.search(r"\bSCAN (TABLE )?cases\b|Seq Scan on cases", p) for p in plan)
            if op in ("list --overdue", "list", "sweep") and ("FROM cases" in sql or "JOIN cases" in sql):
                if scans_cases or not any(INDEXED.search(p) for p in plan):
                    unindexed.append((op, sql[:80]))
    ok = all(verdicts) and not unindexed
    if unindexed:
        print("NOT INDEXED:", unindexed)
    print(f"RESULT bench_scale linear={'yes' if all(verdicts) else 'NO'} "
          f"indexed={'yes' if not unindexed else 'NO'} {'OK' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
