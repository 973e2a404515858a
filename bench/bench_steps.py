"""Full case lifecycles per second through the engine vs a raw driver loop doing the same writes.

    .venv/bin/python bench/bench_steps.py [--cases 150] [--backend sqlite|postgres|both] [--sqlite-sync NORMAL]

A lifecycle is six use cases, one transaction each, as the clerks run them: register, accept,
propose (disclose), decide, approve (by a reviewer), deliver (by post). Two engine paths:

  engine   what the brief names: per step one transaction (`with write_db()`, the pooled DBAPI
           connection, as api.step uses): load_config, resolve_actor, load_calendar,
           cases.register / cases.run_step (letter numbers allocated, letters not rendered).
  api      engine/api.py register_case / step, exactly what `ogi case ...` calls (adds the
           case_summary the CLI prints), with the post-commit letter rendering switched off.

Baseline: a raw driver loop (sqlite3 with the same pragmas as ogi: WAL, synchronous=FULL,
foreign keys, BEGIN IMMEDIATE; or psycopg) doing, per lifecycle, the same number of
transactions and of row writes (INSERTs and UPDATEs, counted on the engine's own connection
while one lifecycle runs) into tables of the same shape. Engine and raw batches run interleaved
so both see the same machine load; the figure is the ratio of their rates (target >= 0.5).

`--sqlite-sync NORMAL` runs both SQLite sides without the fsync per commit (ogi ships FULL): the
engine's CPU cost against the bare cost of the statements, a figure for engineers, not the target.

PostgreSQL: 127.0.0.1:5432 database `test`, a fresh schema per run (search_path in the URL),
dropped afterwards.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import create_pg_schema, drop_pg_schema, header  # noqa: E402

BATCH = 10
PAYLOAD = "某道路改造工程立项批复及相关规划许可文件" * 4


# --------------------------------------------------------------------------- the engine side

def lifecycle_engine(i: int) -> None:
    from ogi.engine.store.calendar_store import load_calendar
    from ogi.engine.cases.steps import Registration, register, run_step
    from ogi.engine.config import load_config
    from ogi.engine.store.db import write_db
    from ogi.engine.identity import resolve_actor, today

    def txn(login, fn):
        _next_txn()
        cfg = load_config()
        actor = resolve_actor(cfg, login)
        with write_db() as db:
            return fn(db, cfg, load_calendar(db), actor)

    reg = Registration(applicant=f"张三{i}", applicant_type="natural", channel="in_person",
                       received=dt.date(2026, 3, 2), description=PAYLOAD, phone="13800000000")
    case_id = txn("li", lambda s, cfg, cal, a: register(s, cfg, cal, a, reg).id)
    now = today()
    for login, trig, day, params in STEPS:
        txn(login, lambda s, cfg, cal, a: run_step(s, cfg, cal, a, case_id, trig, day, now, params))


def lifecycle_api(i: int) -> None:
    from ogi.engine import api
    from ogi.engine.cases.steps import Registration

    reg = Registration(applicant=f"张三{i}", applicant_type="natural", channel="in_person",
                       received=dt.date(2026, 3, 2), description=PAYLOAD, phone="13800000000")
    _next_txn()
    ref = str(api.register_case("li", reg)["id"])
    for login, trig, day, params in STEPS:
        _next_txn()
        api.step(login, ref, trig, day, params)


def _steps():
    from ogi.states.machine import Trigger

    return [
        ("li", Trigger.ACCEPT, dt.date(2026, 3, 3), {}),
        ("li", Trigger.PROPOSE, dt.date(2026, 3, 10), {"outcome": "disclose"}),
        ("li", Trigger.DECIDE, dt.date(2026, 3, 11), {}),
        ("wang", Trigger.APPROVE, dt.date(2026, 3, 12), {}),
        ("li", Trigger.DELIVER, dt.date(2026, 3, 13), {"method": "post"}),
    ]


STEPS: list = []


_COUNTING: list[list[int]] | None = None  # per transaction [inserts, updates] while counting


def _next_txn() -> None:
    if _COUNTING is not None:
        _COUNTING.append([0, 0])


def _count(statement: str, rows: int = 1) -> None:
    if _COUNTING is None:
        return
    verb = statement.lstrip().split(None, 1)[0].upper()
    if verb == "INSERT":
        _COUNTING[-1][0] += rows
    elif verb in ("UPDATE", "DELETE"):
        _COUNTING[-1][1] += rows


def count_writes(fn) -> list[tuple[int, int]]:
    """(inserts, updates) per transaction while fn() runs: the engine's plain-SQL statements
    (engine.store.rows.Db) and any the ORM issues (SQLAlchemy's cursor events)."""
    global _COUNTING
    from sqlalchemy import event

    from ogi.engine.store import rows
    from ogi.engine.store.db import get_engine

    engine = get_engine()

    def on_exec(conn, cursor, statement, params, context, executemany):
        _count(statement, len(params) if executemany else 1)

    original = rows.Db._sql
    original_pair = rows.insert_event_and_leaf

    def counted(self, sql):
        _count(sql)
        return original(self, sql)

    def counted_pair(db, *args):
        # On PostgreSQL the event, its leaf and the log's counter are one statement on the cursor
        # itself (not through Db._sql): three writes the raw loop must make too.
        if not db.sqlite:
            for statement in ("INSERT", "INSERT", "INSERT"):
                _count(statement)
        return original_pair(db, *args)

    _COUNTING = []
    event.listen(engine, "before_cursor_execute", on_exec)
    rows.Db._sql = counted
    rows.insert_event_and_leaf = counted_pair
    try:
        fn()
    finally:
        rows.Db._sql = original
        rows.insert_event_and_leaf = original_pair
        event.remove(engine, "before_cursor_execute", on_exec)
        txns, _COUNTING = _COUNTING, None
    return [tuple(t) for t in txns if t != [0, 0]]


# --------------------------------------------------------------------------- the raw side

RAW_SCHEMA = [
    "CREATE TABLE raw_case (id INTEGER PRIMARY KEY, number TEXT UNIQUE, state TEXT NOT NULL, "
    "next_due TEXT, version INTEGER NOT NULL DEFAULT 1, description TEXT NOT NULL)",
    "CREATE TABLE raw_row (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL REFERENCES raw_case(id), "
    "seq INTEGER NOT NULL, kind TEXT NOT NULL, data TEXT NOT NULL, hash TEXT NOT NULL)",
    "CREATE INDEX ix_raw_row_case ON raw_row (case_id)",
]


SQLITE_SYNC = ["FULL"]  # ogi's setting (engine/store/db.py); --sqlite-sync changes both sides


class RawSqlite:
    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(path, isolation_level=None, timeout=15)
        for pragma in ("journal_mode=WAL", f"synchronous={SQLITE_SYNC[0]}", "foreign_keys=ON", "busy_timeout=15000"):
            self.db.execute(f"PRAGMA {pragma}")
        for sql in RAW_SCHEMA:
            self.db.execute(sql)
        self.n = 0

    def lifecycle(self, plan: list[tuple[int, int]]) -> None:
        db = self.db
        self.n += 1
        case_id = None
        for inserts, updates in plan:
            db.execute("BEGIN IMMEDIATE")
            for k in range(inserts):
                if case_id is None:
                    case_id = db.execute("INSERT INTO raw_case (number, state, description) VALUES (?, ?, ?)",
                                         (f"2026-{self.n:05d}", "registered", PAYLOAD)).lastrowid
                else:
                    db.execute("INSERT INTO raw_row (case_id, seq, kind, data, hash) VALUES (?, ?, ?, ?, ?)",
                               (case_id, k, "event", PAYLOAD, "0" * 64))
            for _ in range(updates):
                db.execute("UPDATE raw_case SET state = ?, version = version + 1 WHERE id = ?", ("processing", case_id))
            db.execute("COMMIT")

    def close(self):
        self.db.close()


class RawPostgres:
    def __init__(self, schema: str):
        import psycopg

        self.db = psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=test",
                                  options=f"-csearch_path={schema}", autocommit=True)
        for sql in RAW_SCHEMA:
            self.db.execute(sql.replace("INTEGER PRIMARY KEY", "SERIAL PRIMARY KEY"))
        self.n = 0

    def lifecycle(self, plan: list[tuple[int, int]]) -> None:
        db = self.db
        self.n += 1
        case_id = None
        for inserts, updates in plan:
            with db.transaction():
                for k in range(inserts):
                    if case_id is None:
                        case_id = db.execute(
                            "INSERT INTO raw_case (number, state, description) VALUES (%s, %s, %s) RETURNING id",
                            (f"2026-{self.n:05d}", "registered", PAYLOAD)).fetchone()[0]
                    else:
                        db.execute("INSERT INTO raw_row (case_id, seq, kind, data, hash) VALUES (%s, %s, %s, %s, %s)",
                                   (case_id, k, "event", PAYLOAD, "0" * 64))
                for _ in range(updates):
                    db.execute("UPDATE raw_case SET state = %s, version = version + 1 WHERE id = %s",
                               ("processing", case_id))

    def close(self):
        self.db.close()


# --------------------------------------------------------------------------- running

def race(cases: int, engine_fn, raw, plan, start: int) -> tuple[float, float]:
    """Engine and raw lifecycles in interleaved batches; returns (engine seconds, raw seconds)."""
    t_engine = t_raw = 0.0
    i = start
    for _ in range(0, cases, BATCH):
        t = time.perf_counter()
        for _ in range(BATCH):
            engine_fn(i)
            i += 1
        t_engine += time.perf_counter() - t
        t = time.perf_counter()
        for _ in range(BATCH):
            raw.lifecycle(plan)
        t_raw += time.perf_counter() - t
    return t_engine, t_raw


def run_backend(backend: str, cases: int) -> list[dict]:
    home = Path(tempfile.mkdtemp(prefix="ogi-bench-steps-"))
    os.environ.update(OGI_HOME=str(home), OGI_TODAY="2026-12-31", OGI_USER="li")
    os.environ.pop("OGI_CONFIG", None)
    schema = None
    if backend == "postgres":
        schema, os.environ["OGI_DATABASE_URL"] = create_pg_schema()
    else:
        os.environ.pop("OGI_DATABASE_URL", None)
    raw = None
    try:
        from ogi.engine import api
        from ogi.engine.config import TRAINING_CONFIG, config_path
        from ogi.engine.store.db import database_url, get_engine
        from ogi.engine.store.schema import upgrade

        config_path().parent.mkdir(parents=True, exist_ok=True)
        # what `ogi init --training` writes: the bench's users are declared (OGI_USER, --as)
        config_path().write_text(TRAINING_CONFIG, encoding="utf-8")
        upgrade(database_url())
        if backend == "sqlite" and SQLITE_SYNC[0] != "FULL":
            from sqlalchemy import event

            get_engine().dispose()

            @event.listens_for(get_engine(), "connect")
            def _sync(dbapi_conn, _record):  # after ogi's own listener: overrides its FULL
                dbapi_conn.execute(f"PRAGMA synchronous={SQLITE_SYNC[0]}")
        api.after_commit = lambda case_id: []  # letters rendering disabled (bench_letters measures it)
        raw = RawSqlite(home / "raw.db") if backend == "sqlite" else RawPostgres(schema)

        for i in range(3):  # warm-up: imports, statement caches, the compiled calendar
            lifecycle_engine(10_000 + i)
            lifecycle_api(20_000 + i)
        plan = count_writes(lambda: lifecycle_engine(30_000))
        plan_api = count_writes(lambda: lifecycle_api(30_001))
        assert plan == plan_api, (plan, plan_api)
        for _ in range(3):
            raw.lifecycle(plan)

        out = []
        for name, fn, start in (("engine", lifecycle_engine, 0), ("api", lifecycle_api, 100_000)):
            t_engine, t_raw = race(cases, fn, raw, plan, start)
            n = (cases + BATCH - 1) // BATCH * BATCH
            out.append({"backend": backend, "path": name, "lifecycles": n,
                        "ratio": (n / t_engine) / (n / t_raw),
                        "engine_ms_per_lifecycle": t_engine / n * 1000, "raw_ms_per_lifecycle": t_raw / n * 1000})
        with get_engine().connect() as c:
            from sqlalchemy import text

            closed = c.execute(text("SELECT COUNT(*) FROM cases WHERE state = 'answered'")).scalar()
        assert closed >= 2 * cases, closed
        out[0]["plan"] = plan
        return out
    finally:
        if raw is not None:
            raw.close()
        from ogi.engine.store.db import get_engine

        try:
            get_engine().dispose()
        except Exception:  # noqa: BLE001
            pass
        if schema:
            drop_pg_schema(schema)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", type=int, default=150, help="lifecycles per engine path and backend")
    ap.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    ap.add_argument("--sqlite-sync", choices=("FULL", "NORMAL"), default="FULL",
                    help="SQLite synchronous pragma on both sides (ogi ships FULL)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    SQLITE_SYNC[0] = args.sqlite_sync
    STEPS[:] = _steps()
    header("bench_steps", f"{args.cases} full lifecycles (6 transactions each) per path and backend; "
                          f"SQLite synchronous={args.sqlite_sync}")
    rows = []
    for backend in (("sqlite", "postgres") if args.backend == "both" else (args.backend,)):
        rows += run_backend(backend, args.cases)
    plan = rows[0]["plan"]
    print(f"per lifecycle: {len(plan)} transactions, {sum(i for i, _ in plan)} inserts, "
          f"{sum(u for _, u in plan)} updates {plan} (the raw loop does the same)")
    print()
    print(f"{'backend':<10}{'path':<8}{'lifecycles':>11}{'engine/raw rate':>17}   target >= 0.5")
    for r in rows:
        print(f"{r['backend']:<10}{r['path']:<8}{r['lifecycles']:>11}{r['ratio']:>17.3f}   "
              f"{'met' if r['ratio'] >= 0.5 else 'MISSED'}  (this run: engine {r['engine_ms_per_lifecycle']:.1f} ms, "
              f"raw {r['raw_ms_per_lifecycle']:.2f} ms per lifecycle)")
    worst = min(r["ratio"] for r in rows if r["path"] == "engine")
    print(f"RESULT bench_steps min_ratio={worst:.3f} target=0.5 {'OK' if worst >= 0.5 else 'MISSED'}")
    if args.json:
        print(json.dumps(rows, default=str))


if __name__ == "__main__":
    main()
