"""The warning sweep over many open cases vs a plain indexed SQL query of the same cases.

    .venv/bin/python bench/bench_sweep.py [--cases 100000] [--postgres] [--repeats 3]

Builds a fresh database (SQLite file in a temporary directory, or with --postgres a throwaway
schema on 127.0.0.1:5432/test) and fills it with bulk SQL inserts, not through the CLI:
N applicants, N accepted cases (each with its `register` and `accept` history events, hashes
chained as the engine writes them) whose answer clocks fall due evenly from 5 working days
before to 30 working days after the sweep day (a 20-WD answer period plus extensions: about a
third of the open cases are within 5 WD of a deadline or past it), with the cached
`next_due` / `next_clock`.

Then, in the same run and under the same load (never compare absolute times across runs):

  baseline   SELECT id, number, clerk, next_due FROM cases WHERE closed = false AND next_due
             <= horizon ORDER BY id   -- the indexed query (ix_cases_open_due) that picks the
             candidates, i.e. what a sweep that trusted the cache blindly would cost
  cold       ogi's sweep(as_of) on an empty outbox: candidates, their histories replayed,
             every clock computed exactly, warnings and deliveries inserted
  steady     the same sweep again (every warning already there: nothing is written)

and prints each sweep's time as a ratio of the baseline.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import create_pg_schema, drop_pg_schema, header  # noqa: E402

AS_OF = dt.date(2026, 11, 16)
BATCH = 5000


def build(url: str, n: int) -> dict:
    """Bulk-insert n applicants, n accepted cases and 2n history events; returns counts."""
    from ogi.calendars import WorkCalendar, bundled_years
    from ogi.engine.store.db import get_engine
    from ogi.engine.cases.history import GENESIS, canonical_json, event_hash
    from ogi.engine.store.tables import Applicant, Case, HistoryEvent
    from ogi.engine.store.schema import upgrade

    upgrade(url)
    cal = WorkCalendar(bundled_years())
    # answer due dates from 5 WD before AS_OF to 30 WD after; receipt = 20 WD before each
    days = []
    d = AS_OF
    for _ in range(5):
        d = _prev_workday(cal, d)
    first = d
    due = first
    while len(days) < 36:
        days.append(due)
        due = cal.add(due, 1)
    receipt = {}
    for due in days:
        r = due
        for _ in range(20):
            r = _prev_workday(cal, r)
        assert cal.add(r, 20) == due
        receipt[due] = r
    stamp = "2026-11-01T09:00:00+08:00"
    engine = get_engine(url)
    ta, tc, th = Applicant.__table__, Case.__table__, HistoryEvent.__table__
    started = time.perf_counter()
    with engine.connect() as conn:
        for lo in range(0, n, BATCH):
            ids = range(lo + 1, min(n, lo + BATCH) + 1)
            apps, cases, events = [], [], []
            for i in ids:
                due = days[i % len(days)]
                r = receipt[due]
                apps.append({"id": i, "name": f"申请人{i}", "kind": "natural", "id_number": "", "phone": "",
                             "email": "", "address": "", "electronic_consent": False})
                cases.append({"id": i, "number": f"B-{i:06d}", "applicant_id": i, "channel": "in_person",
                              "submitted_on": r, "received_on": r, "description": "基准测试", "requested_form": "",
                              "clerk": ("li", "chen")[i % 2], "state": "processing", "closed": False, "outcome": None,
                              "proposed_by": None, "closed_on": None, "delivered_on": None, "delivery_method": None,
                              "answer_due": due, "next_due": due, "next_clock": "answer", "clock_paused": False,
                              "provisional": False, "created_at": stamp, "version": 2})
                reg = canonical_json({"received_on": r, "submitted_on": r, "channel": "in_person",
                                      "receipt_rule": "当面提交之日", "applicant": f"申请人{i}",
                                      "applicant_type": "natural", "description": "基准测试", "requested_form": "",
                                      "clerk": "li", "correction_period": 15, "fee_pauses": True})
                h1 = event_hash(i, 1, stamp, "li", "register", r, "", reg, GENESIS)
                h2 = event_hash(i, 2, stamp, "li", "accept", r, "", "{}", h1)
                events.append({"case_id": i, "seq": 1, "recorded_at": stamp, "actor": "li", "action": "register",
                               "effective_on": r, "reason": "", "data": reg, "prev_hash": GENESIS, "hash": h1})
                events.append({"case_id": i, "seq": 2, "recorded_at": stamp, "actor": "li", "action": "accept",
                               "effective_on": r, "reason": "", "data": "{}", "prev_hash": h1, "hash": h2})
            conn.execute(ta.insert(), apps)
            conn.execute(tc.insert(), cases)
            conn.execute(th.insert(), events)
            conn.commit()
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('cases', 'id'), %s)" % n)
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('applicant', 'id'), %s)" % n)
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE")
        conn.commit()
    return {"seconds": time.perf_counter() - started, "first_due": days[0], "last_due": days[-1]}


def _prev_workday(cal, d: dt.date) -> dt.date:
    d -= dt.timedelta(days=1)
    while not cal.is_workday(d):
        d -= dt.timedelta(days=1)
    return d


def baseline(url: str, horizon: dt.date) -> tuple[float, int]:
    from sqlalchemy import select

    from ogi.engine.store.db import read_session
    from ogi.engine.store.tables import Case

    t = Case.__table__
    q = (select(t.c.id, t.c.number, t.c.clerk, t.c.next_due)
         .where(t.c.closed == False, t.c.next_due.is_not(None), t.c.next_due <= horizon).order_by(t.c.id))  # noqa: E712
    started = time.perf_counter()
    with read_session(url) as s:
        rows = s.connection().execute(q).all()
    return time.perf_counter() - started, len(rows)


def plan(url: str, horizon: dt.date) -> str:
    from ogi.engine.store.db import get_engine

    with get_engine(url).connect() as conn:
        if conn.dialect.name == "sqlite":
            rows = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT id, number, clerk, next_due FROM cases WHERE closed = 0 AND next_due IS NOT NULL AND next_due <= ?",
                (horizon.isoformat(),)).all()
            return "; ".join(r[-1] for r in rows)
        rows = conn.exec_driver_sql(
            "EXPLAIN SELECT id, number, clerk, next_due FROM cases WHERE closed = false AND next_due IS NOT NULL AND next_due <= %(h)s",
            {"h": horizon}).all()
        return "; ".join(r[0].strip() for r in rows[:2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--postgres", action="store_true", help="use a throwaway schema on 127.0.0.1:5432/test")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    home = Path(tempfile.mkdtemp(prefix="ogi-bench-sweep-"))
    os.environ["OGI_HOME"] = str(home)
    os.environ["OGI_TODAY"] = AS_OF.isoformat()
    os.environ.pop("OGI_CONFIG", None)
    schema = None
    if args.postgres:
        schema, url = create_pg_schema()
    else:
        url = f"sqlite:///{home / 'ogi.db'}"
    os.environ["OGI_DATABASE_URL"] = url
    header("bench_sweep", f"warning sweep over {args.cases:,} open cases vs the indexed candidate query "
                          f"({'PostgreSQL' if args.postgres else 'SQLite'})")
    try:
        run(url, args)
    finally:
        if schema:
            from ogi.engine.store.db import get_engine

            get_engine(url).dispose()
            drop_pg_schema(schema)


def run(url: str, args) -> None:
    from ogi.engine.store.calendar_store import load_calendar
    from ogi.engine.store.db import read_session
    from ogi.engine.notify.outbox import candidate_horizon, sweep
    from ogi.engine.notify.settings import channel_settings
    from ogi.engine.config import load_config

    built = build(url, args.cases)
    print(f"   built {args.cases:,} cases + {2 * args.cases:,} history events by bulk INSERT in "
          f"{built['seconds']:.1f} s; answer due {built['first_due']} .. {built['last_due']}, sweep day {AS_OF}")
    cfg = load_config()
    with read_session(url) as s:
        horizon = candidate_horizon(AS_OF, load_calendar(s), channel_settings(cfg).thresholds)
    print(f"   candidate query plan: {plan(url, horizon)}")

    base_times = []
    for _ in range(max(5, args.repeats)):
        t, n_candidates = baseline(url, horizon)
        base_times.append(t)
    base = statistics.median(base_times)

    started = time.perf_counter()
    cold = sweep(AS_OF, cfg=cfg, url=url)
    cold_t = time.perf_counter() - started
    steady_times = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        again = sweep(AS_OF, cfg=cfg, url=url)
        steady_times.append(time.perf_counter() - started)
        assert again["created"] == 0
    steady = statistics.median(steady_times)
    assert cold["candidates"] == n_candidates

    print(f"   candidates {n_candidates:,} of {args.cases:,} open cases; warnings created {cold['created']:,}; "
          f"errors {len(cold['errors'])}")
    print(f"{'':10} {'seconds':>9} {'per candidate':>14} {'ratio':>9}")
    print(f"{'baseline':10} {base:9.4f} {base / max(n_candidates, 1) * 1e6:11.1f} µs {1:9.1f}")
    print(f"{'cold':10} {cold_t:9.4f} {cold_t / max(n_candidates, 1) * 1e6:11.1f} µs {cold_t / base:9.1f}")
    print(f"{'steady':10} {steady:9.4f} {steady / max(n_candidates, 1) * 1e6:11.1f} µs {steady / base:9.1f}")
    print(f"\nsweep / indexed query: cold {cold_t / base:.1f}x, steady {steady / base:.1f}x "
          f"(the sweep replays each candidate's history and computes every clock exactly)")


if __name__ == "__main__":
    main()
