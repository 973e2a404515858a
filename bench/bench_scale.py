"""Scale: how list, sweep, annual report and audit grow with the size of an agency's records.

    .venv/bin/python bench/bench_scale.py [--sizes 10000,100000] [--open-share 0.05]
        [--backend sqlite|postgres] [--keep DIR] [--tmp DIR] [--workers 2] [--ops OP,OP] [--budget 20]

    nice -n 10 .venv/bin/python bench/bench_scale.py --sizes 10000,100000,1000000 --keep /work/tmp/scale

Size S = S historical (closed) cases plus S x open-share open ones: the issue's agency is
1,000,000 historical and 50,000 open cases (--open-share 0.05, the default). For each size a
database is filled with bulk inserts (raw driver: sqlite3 executemany, PostgreSQL COPY; not the
CLI) with a realistic, consistent agency: one applicant per case, historical cases received
2024-01-02 .. 2026-09-30 and answered through register, accept, propose, decide, approve,
deliver (some withdrawn), open ones received in the last quarter (registered or accepted, many
of them overdue on the as-of day 2026-12-31). Every case has its history events with a valid
hash chain (engine/cases/history.py canonical_json + event_hash, per event), the cached state and
clock columns computed by the engine's own replay, clock and cache code (engine/cases/clocks.py,
engine/cases/steps.py refresh_cache), its letters (receipt, reply, service receipt) numbered
gap-free with the counters to match: `audit verify` finds nothing broken.

Generation: the cases are cut into chunks that --workers processes build (events hashed,
clocks computed; a case's clocks are computed once per distinct set of clock inputs); the main
process (a child of the benchmark, so that nothing it leaves in memory weighs on the
measurements) numbers the letters and inserts. SQLite loads with journal_mode=OFF,
synchronous=OFF and the secondary indexes dropped, then rebuilds them, runs ANALYZE and returns
to WAL before anything is measured. --keep DIR keeps each generated agency in DIR/scale-S-open-O/ and reuses it
on the next run (SQLite only): the 1M agency need not be regenerated for every measurement.

Timed, every size interleaved (A B C A B C ...) so that all see the same load, best of up to 5
rounds (an operation is repeated on a size only while it has used less than --budget seconds
there: `audit verify` at 1M runs once):

  list --overdue   engine/api.py list_cases(overdue=True)      ogi case list --overdue
  list             engine/api.py list_cases()                   ogi case list (open cases, first 200)
  sweep (cold)     engine/notify/outbox.py sweep(as_of), outbox emptied first: every warning written
  sweep            the same again: everything already in the outbox   ogi warnings sweep
  annual report    engine/legal/annual_report.py annual(year=2026)    ogi report annual
  audit verify     engine/legal/audit.py verify()                  ogi audit verify

Figures are ratios measured in this run, in CPU time (SQLite runs in-process; on a shared,
busy machine CPU time is steadier than wall time; on PostgreSQL the server's share is not
counted): each operation's growth from one size to the next, next to the size factor. Growth <=
size factor (+15% for noise) is linear or better; <= the n log n factor (+15%) is "n log n".
In brackets, the same growth without the CPU of the interpreter's full (generation 2) GC passes:
they start once the objects an operation keeps alive exceed 25% of the heap, so they appear in
steps between two sizes; an operation is reported superlinear only if it is without them too.
Peak RSS per operation: the process's high-water mark, reset before each operation
(/proc/self/clear_refs), so it is the operation's own peak (imports included), with its rise
over the RSS before the operation. The queries each operation runs are captured at the largest
size and shown with EXPLAIN QUERY PLAN (SQLite) / EXPLAIN (PostgreSQL): the lists and the sweep
must search, not scan, the tables that grow with the record, and on SQLite their case query must
use ix_cases_open_due (exit status 1 if not).
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import gc
import json
import math
import os
import random
import re
import resource
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import drop_pg_schema, header, pg_admin, pg_url  # noqa: E402

AS_OF = dt.date(2026, 12, 31)
GEN_VERSION = 3      # bump when the generated agency changes: --keep regenerates older ones
CASES_PER_CHUNK = 5000
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英"
SUBJECTS = ["道路改造工程立项批复", "征收补偿方案", "环境影响评价报告", "年度财政预算执行情况", "学校划片方案",
            "规划许可证及附图", "行政处罚决定书", "土地出让合同", "保障房分配名单公示材料", "河道整治工程招标文件"]
OUTCOMES = ["disclose"] * 10 + ["partial"] * 4 + ["withhold_third_party"] * 2 + ["unable_not_held"] * 3 + \
    ["not_responsible"] * 2 + ["disclose_already_public"] * 2

# Column order of the bulk rows (checked against the models: every column left out must be nullable).
APPLICANT_COLS = ("id", "name", "kind", "id_number", "phone", "email", "address", "electronic_consent", "name_key")
CASE_COLS = ("id", "number", "applicant_id", "channel", "submitted_on", "received_on", "description",
             "requested_form", "clerk", "state", "closed", "outcome", "proposed_by", "closed_on", "delivered_on",
             "delivery_method", "answer_due", "next_due", "next_clock", "clock_paused", "provisional",
             "created_at", "version")
EVENT_COLS = ("case_id", "seq", "recorded_at", "actor", "action", "effective_on", "reason", "data",
              "prev_hash", "hash")  # id: assigned by the database in insert order (checked after the load)
LETTER_COLS = ("case_id", "kind", "family", "year", "seq", "number", "event_id", "issued_on", "status",
               "attempts", "last_error", "path", "sha256", "rendered_version")
CACHED = ("state", "closed", "outcome", "proposed_by", "closed_on", "delivered_on", "delivery_method",
          "answer_due", "next_due", "next_clock", "clock_paused", "provisional")
BULK_TABLES = ("applicant", "cases", "history_event", "letter", "counter")


def _iso(d):
    return d.isoformat() if d is not None else None


def check_columns() -> None:
    from ogi.engine.store.tables import Applicant, Case, HistoryEvent, Letter

    for model, cols in ((Applicant, APPLICANT_COLS), (Case, CASE_COLS), (HistoryEvent, EVENT_COLS + ("id",)),
                        (Letter, LETTER_COLS + ("id",))):
        table = model.__table__
        unknown = set(cols) - set(table.c.keys())
        missing = [c.name for c in table.c if c.name not in cols and not c.nullable and c.server_default is None]
        if unknown or missing:
            raise SystemExit(f"bench_scale: the {table.name} table changed (unknown {sorted(unknown)}, "
                             f"not filled {missing}): update the *_COLS of bench/bench_scale.py")


# --------------------------------------------------------------------------- generation (workers)

class _Step:
    """What clocks.replay reads of an event (.data already decoded)."""

    __slots__ = ("action", "effective_on", "data", "actor")

    def __init__(self, action, effective_on, data, actor):
        self.action, self.effective_on, self.data, self.actor = action, effective_on, data, actor


_W: dict = {}


def _worker_init() -> None:
    from ogi.calendars import WorkCalendar, bundled_years
    from ogi.engine.config import load_config

    _W["cfg"] = load_config()
    _W["cal"] = WorkCalendar(bundled_years())  # a fresh database imports no years: the shipped ones
    _W["clocks"] = {}


def _when(day: dt.date, rng: random.Random) -> str:
    """A recorded_at between 08:00 and 18:00 on `day`, as now_shanghai().isoformat() writes it."""
    t = rng.randrange(8 * 3600, 18 * 3600)
    return f"{day.isoformat()}T{t // 3600:02d}:{t // 60 % 60:02d}:{t % 60:02d}+08:00"


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


def _clock_inputs(f):
    """Everything compute_clocks reads of the facts (None: not memoised, e.g. consultations)."""
    if f.consultations:
        return None
    return (f.received_on, f.state, f.correction_requested_on, f.correction_served_on, f.correction_received_on,
            f.correction_period, f.fee_noticed_on, f.fee_served_on, f.fee_paid_on, f.fee_pauses,
            f.extension_workdays, tuple(f.extensions), f.delay_until)


def make_chunk(task: tuple) -> tuple:
    """Build one chunk of cases. task = (seed, [(case_id, received ordinal, number, closed)]).
    Returns (applicants, cases, events, letters) as row tuples; events carry no id (the database
    numbers them in insert order) and letters name their event by its index in this chunk and
    have no number yet (the main process numbers them in order, gap-free)."""
    from ogi.engine.cases import clocks as clk
    from ogi.engine.cases.steps import refresh_cache
    from ogi.engine.cases.history import GENESIS, canonical_json, event_hash
    from ogi.engine.cases.numbering import family_of, kinds_for
    from ogi.engine.store.keys import normalise  # applicant.name_key
    from ogi.states.machine import Trigger

    if not _W:
        _worker_init()
    cfg, cal, memo = _W["cfg"], _W["cal"], _W["clocks"]
    seed, cases_in = task
    rng = random.Random(seed)
    applicants, cases, events, letters = [], [], [], []
    families: dict[str, str] = {}
    payloads: dict[tuple, str] = _W.setdefault("payloads", {})
    for cid, ordinal, number, closed in cases_in:
        day = dt.date.fromordinal(ordinal)
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))
        kind = rng.choices(("natural", "commercial", "legal_service", "research"), (80, 10, 7, 3))[0]
        applicants.append((cid, name, kind, f"1101{rng.randrange(10**13, 10**14)}", f"13{rng.randrange(10**8, 10**9)}",
                           "", "示例市人民路", True, normalise(name)))
        clerk = rng.choice(("li", "chen"))
        desc = f"{rng.choice(SUBJECTS)}（{day.year}年）"
        reg = {"received_on": day, "submitted_on": day, "channel": "in_person",
               "receipt_rule": "当面提交之日（条例第三十一条第（一）（二）项）", "applicant": name,
               "applicant_type": kind, "description": desc, "requested_form": "纸质", "clerk": clerk,
               "correction_period": cfg.rules.correction_period_workdays,
               "fee_pauses": cfg.rules.fee_pauses_answer_clock}
        steps = [(clerk, "register", day, "", reg)] + _script(rng, cal, day, closed)
        prev, replayed = GENESIS, []
        first_event = len(events)
        for n, (actor, action, eff, reason, data) in enumerate(steps, 1):
            at = _when(eff, rng)
            if action == "register":
                payload = canonical_json(data)
            else:  # a few distinct payloads ({}, an outcome, a method): serialised once each
                jkey = tuple(sorted(data.items()))
                payload = payloads.get(jkey) or payloads.setdefault(jkey, canonical_json(data))
            h = event_hash(cid, n, at, actor, action, eff, reason, payload, prev)
            events.append((cid, n, at, actor, action, eff.isoformat(), reason, payload, prev, h))
            replayed.append(_Step(action, eff, data, actor))
            prev = h
        facts = clk.replay(replayed, **clk.rule_options(cfg.rules))
        key = _clock_inputs(facts)
        clocks = memo.get(key) if key is not None else None
        if clocks is None:
            clocks = clk.compute_clocks(facts, cal)
            if key is not None:
                memo[key] = clocks
        cached = SimpleNamespace()
        refresh_cache(cached, facts, clocks)
        c = {"id": cid, "number": number, "applicant_id": cid, "channel": "in_person", "submitted_on": day,
             "received_on": day, "description": desc, "requested_form": "纸质", "clerk": clerk,
             "created_at": _when(day, rng), "version": len(steps) + 1, **vars(cached)}
        cases.append(tuple(_iso(c[k]) if isinstance(c[k], dt.date) else c[k] for k in CASE_COLS))
        case_view = SimpleNamespace(outcome=facts.outcome)
        for k, (actor, action, eff, reason, data) in enumerate(steps):
            trigger = None if action == "register" else Trigger(action)
            for lkind in kinds_for(trigger, data, case_view):
                family = families.get(lkind) or families.setdefault(lkind, family_of(lkind))
                letters.append((cid, lkind, family, eff.year, first_event + k, eff.isoformat()))
    return applicants, cases, events, letters


# --------------------------------------------------------------------------- generation (main)

def plan_cases(size: int, n_open: int, seed: int) -> list[tuple]:
    """[(case_id, received ordinal, number, closed)]: historical cases first, then the open ones,
    each in order of receipt; case numbers YYYY-NNNN gap-free per year in id order."""
    rng = random.Random(seed)
    first, last_closed = dt.date(2024, 1, 2).toordinal(), dt.date(2026, 9, 30).toordinal()
    open_from = dt.date(2026, 10, 8).toordinal()
    received = sorted(rng.randint(first, last_closed) for _ in range(size))
    received += sorted(rng.randint(open_from, AS_OF.toordinal() - 1) for _ in range(n_open))
    per_year: dict[int, int] = {}
    out = []
    for i, ordinal in enumerate(received, 1):
        year = dt.date.fromordinal(ordinal).year
        per_year[year] = seq = per_year.get(year, 0) + 1
        out.append((i, ordinal, f"{year}-{seq:04d}", i <= size))
    return out


class SqliteSink:
    """Bulk load into a fresh SQLite file: no journal, no fsync, secondary indexes rebuilt after."""

    def __init__(self, path: Path):
        import sqlite3

        self.db = sqlite3.connect(str(path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=OFF")
        self.db.execute("PRAGMA synchronous=OFF")
        self.db.execute("PRAGMA cache_size=-524288")  # 512 MiB for the index builds
        marks = ",".join("?" * len(BULK_TABLES))
        self.indexes = self.db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
            BULK_TABLES).fetchall()
        for name, _ in self.indexes:
            self.db.execute(f"DROP INDEX {name}")
        self.db.execute("BEGIN")

    def insert(self, table: str, cols: tuple, rows: list) -> None:
        self.db.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", rows)

    def scalar(self, sql: str):
        return self.db.execute(sql).fetchone()

    def finish(self) -> None:
        self.db.execute("COMMIT")
        for _, sql in self.indexes:
            self.db.execute(sql)
        self.db.execute("ANALYZE")
        self.db.execute("PRAGMA journal_mode=WAL")  # what the engine runs on (db.py)
        self.db.close()


class PostgresSink:
    def __init__(self, engine):
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection

    def insert(self, table: str, cols: tuple, rows: list) -> None:
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
            for r in rows:
                cp.write_row(r)

    def scalar(self, sql: str):
        with self.conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchone()

    def finish(self) -> None:
        with self.conn.cursor() as cur:
            for t in ("applicant", "cases", "history_event", "letter"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))")
        self.conn.commit()
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("ANALYZE")
        self.conn.autocommit = False
        self.raw.close()


def generate(sink, size: int, n_open: int, workers: int, seed: int = 20260924) -> dict:
    """Fill a fresh database; returns the row counts and the time of each phase."""
    from ogi.engine.config import load_config
    from ogi.engine.cases.numbering import format_number

    t0 = time.perf_counter()
    cfg = load_config()
    plan = plan_cases(size, n_open, seed)
    case_counters: dict[int, int] = {}
    for _, ordinal, number, _ in plan:
        y, n = number.split("-")
        case_counters[int(y)] = int(n)
    tasks = [(seed * 1000 + k, plan[i:i + CASES_PER_CHUNK]) for k, i in enumerate(range(0, len(plan), CASES_PER_CHUNK))]
    del plan
    counters: dict[tuple[str, int], int] = {}
    n_events = n_letters = 0
    pool = None
    if workers > 0:
        import multiprocessing as mp

        pool = mp.get_context("spawn").Pool(workers, initializer=_worker_init)
        results = _bounded(pool, tasks, 2 * workers)
    else:
        results = map(make_chunk, tasks)
    waited = 0.0
    try:
        results = iter(results)
        for done in range(1, len(tasks) + 1):
            tw = time.perf_counter()
            applicants, cases, events, letters = next(results)
            waited += time.perf_counter() - tw
            sink.insert("applicant", APPLICANT_COLS, applicants)
            sink.insert("cases", CASE_COLS, cases)
            sink.insert("history_event", EVENT_COLS, events)
            rows = []
            for cid, kind, family, year, ev_index, issued in letters:
                counters[(f"letter:{family}", year)] = lseq = counters.get((f"letter:{family}", year), 0) + 1
                rows.append((cid, kind, family, year, lseq, format_number(cfg, family, year, lseq),
                             n_events + ev_index + 1, issued, "pending", 0, "", "", "", 0))
            sink.insert("letter", LETTER_COLS, rows)
            n_events += len(events)
            n_letters += len(rows)
            if len(tasks) >= 20 and done % max(1, len(tasks) // 10) == 0:
                print(f"   generating {size + n_open} cases: {done * 100 // len(tasks)}% "
                      f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    finally:
        if pool is not None:
            pool.terminate()
    counters.update({("case", y): v for y, v in case_counters.items()})
    sink.insert("counter", ("scope", "year", "value"), [(s, y, v) for (s, y), v in sorted(counters.items())])
    # Letters name their events by id: the database must have numbered the events 1..n in order.
    assert tuple(sink.scalar("SELECT COUNT(*), MAX(id) FROM history_event")) == (n_events, n_events)
    t1 = time.perf_counter()
    sink.finish()
    t2 = time.perf_counter()
    return {"cases": size + n_open, "open": n_open, "events": n_events, "letters": n_letters,
            "insert_s": t1 - t0, "index_s": t2 - t1, "waited_s": waited}


def _bounded(pool, tasks: list, ahead: int):
    """pool.imap with at most `ahead` chunks built and not yet inserted (bounded memory)."""
    pending: collections.deque = collections.deque()
    it = iter(tasks)
    for task in it:
        pending.append(pool.apply_async(make_chunk, (task,)))
        if len(pending) >= ahead:
            break
    while pending:
        result = pending.popleft().get()
        nxt = next(it, None)
        if nxt is not None:
            pending.append(pool.apply_async(make_chunk, (nxt,)))
        yield result


def _load(backend: str, size: int, n_open: int, workers: int, out) -> None:
    """Generate one agency into the database the environment names (run in its own process)."""
    try:
        from ogi.engine.store.db import database_url, get_engine, sqlite_path

        sink = SqliteSink(sqlite_path(database_url())) if backend == "sqlite" else PostgresSink(get_engine())
        out.put(generate(sink, size, n_open, workers))
    except BaseException as exc:  # noqa: BLE001 - reported by the parent
        out.put(RuntimeError(f"{type(exc).__name__}: {exc}"))
        raise


# --------------------------------------------------------------------------- agencies

class Agency:
    """One generated database: its own OGI_HOME (SQLite) or PostgreSQL schema."""

    def __init__(self, backend: str, size: int, n_open: int, *, keep: Path | None, tmp: Path | None, workers: int):
        self.backend, self.size, self.n_open, self.kept = backend, size, n_open, keep is not None
        if keep is not None:
            self.home = keep / f"scale-{size}-open-{n_open}"
        else:
            self.home = Path(tempfile.mkdtemp(prefix="ogi-bench-scale-", dir=tmp))
        self.schema = "ogi_bench_" + secrets.token_hex(5) if backend == "postgres" else None
        meta_path = self.home / "bench-meta.json"
        want = {"version": GEN_VERSION, "size": size, "open": n_open}
        if self.kept and meta_path.is_file():
            meta = json.loads(meta_path.read_text())
            if {k: meta.get(k) for k in want} == want:
                self.use()
                self._upgrade()
                self.counts, self.reused = meta["counts"], True
                self.clear_outbox()
                return
            shutil.rmtree(self.home)
        self.reused = False
        self.home.mkdir(parents=True, exist_ok=True)
        if self.schema:
            pg_admin(f"CREATE SCHEMA {self.schema}")
        self.use()
        from ogi.engine.config import TRAINING_CONFIG, config_path

        config_path().parent.mkdir(parents=True, exist_ok=True)
        # what `ogi init --training` writes: the bench's users are declared (OGI_USER, --as)
        config_path().write_text(TRAINING_CONFIG, encoding="utf-8")
        self._upgrade()
        from ogi.engine.store.db import dispose_engines

        dispose_engines()  # the SQLite bulk load switches the journal mode: no other connection
        # In a process of its own: what generation leaves in memory must not weigh on the
        # measurements (peak RSS, garbage collection over a bigger heap).
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        proc = ctx.Process(target=_load, args=(backend, size, n_open, workers, out))
        proc.start()
        counts = out.get()
        proc.join()
        if isinstance(counts, BaseException) or proc.exitcode:
            raise SystemExit(f"bench_scale: generating {size} cases failed: {counts!r}")
        self.counts = counts
        self.counts["db_bytes"] = self.db_bytes()
        if self.kept:
            meta_path.write_text(json.dumps({**want, "counts": self.counts}, indent=1))

    def _upgrade(self) -> None:
        from ogi.engine.store.db import database_url
        from ogi.engine.store.schema import upgrade

        upgrade(database_url())  # a no-op on an up-to-date kept database

    def db_bytes(self) -> int:
        if self.schema:
            from sqlalchemy import text

            from ogi.engine.store.db import get_engine

            with get_engine().connect() as c:
                return c.execute(text("SELECT SUM(pg_total_relation_size(format('%I.%I', schemaname, tablename))) "
                                      "FROM pg_tables WHERE schemaname = :s"), {"s": self.schema}).scalar() or 0
        return sum(p.stat().st_size for p in self.home.glob("*.db*"))

    def use(self) -> None:
        os.environ.update(OGI_HOME=str(self.home), OGI_TODAY=AS_OF.isoformat(), OGI_USER="li")
        os.environ.pop("OGI_CONFIG", None)
        if self.schema:
            os.environ["OGI_DATABASE_URL"] = pg_url(self.schema)
        else:
            os.environ.pop("OGI_DATABASE_URL", None)

    def clear_outbox(self) -> None:
        from sqlalchemy import text

        from ogi.engine.store.db import get_engine

        with get_engine().begin() as c:
            c.execute(text("DELETE FROM warning_delivery"))
            c.execute(text("DELETE FROM warning_outbox"))

    def drop(self) -> None:
        from ogi.engine.store.db import get_engine

        self.use()
        try:
            get_engine().dispose()
        except Exception:  # noqa: BLE001
            pass
        if self.kept:
            return
        if self.schema:
            drop_pg_schema(self.schema)
        shutil.rmtree(self.home, ignore_errors=True)


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


def explain(engine, statements: dict) -> list[tuple[str, list[str]]]:
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


def _progress(label: str):
    """A progress callback for verify(): a live line on a terminal, else a line every 10%."""
    tty, state = sys.stderr.isatty(), {"shown": -1}

    def update(done: int, total: int) -> None:
        pct = done * 100 // max(total, 1)
        step = 1 if tty else 10
        if pct // step != state["shown"] and (pct % step == 0 or tty):
            state["shown"] = pct // step
            lead, end = ("\r", "") if tty else ("   ", "\n")
            print(f"{lead}{label}: {done}/{total} cases ({pct}%)", end=end, file=sys.stderr, flush=True)
            if tty and done == total:
                print(file=sys.stderr)
    return update


def operations(progress_from: int) -> dict:
    from ogi.engine import api

    ops = {
        "list --overdue": lambda ag: api.list_cases("li", overdue=True, as_of=AS_OF),
        "list": lambda ag: api.list_cases("li", as_of=AS_OF),
    }
    try:
        from ogi.engine.notify.outbox import sweep

        ops["sweep (cold)"] = lambda ag: sweep(AS_OF)  # on an emptied outbox: every warning written
        ops["sweep"] = lambda ag: sweep(AS_OF)         # again: everything already there
    except ImportError:
        pass
    try:
        from ogi.engine.legal.annual_report import annual

        ops["annual report"] = lambda ag: annual("zhao", 2026)
    except ImportError:
        pass
    try:
        from ogi.engine.legal.audit import verify

        ops["audit verify"] = lambda ag: verify(
            "zhao", progress=_progress(f"audit verify at {ag.size}") if ag.size >= progress_from else None)
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
        return "balanced" if result["balanced"] else "UNBALANCED"
    return ""


def _status_kb(field: str) -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset the process's RSS high-water mark (Linux: VmHWM := VmRSS)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


class FullGc:
    """CPU time the interpreter spends in full (generation 2) cyclic-GC collections. Their number
    grows in steps with the objects an operation keeps alive (a full pass runs once the survivors
    exceed 25% of the heap), so it shows where a growth above 10x comes from."""

    def __init__(self):
        self.seconds, self.count, self._start = 0.0, 0, None

    def __call__(self, phase: str, info: dict) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.process_time()
        elif self._start is not None:
            self.seconds += time.process_time() - self._start
            self.count += 1
            self._start = None


def measure(agencies: list, budget: float, only: list[str] | None = None) -> tuple[dict, dict, dict, dict]:
    """Every operation on every agency, interleaved (A B C A B C ...) so that all sizes of one
    operation see the same machine load; best of up to 5 rounds, a size repeated only while the
    operation has used less than `budget` CPU seconds on it. Returns times[op][size] =
    (CPU seconds, of which in full GC passes, their number) of the best round, (peak RSS, its rise)
    in KiB[op][size], facts[op][size] and the SELECTs of the largest agency per op."""
    from ogi.engine.store.db import get_engine

    ops = operations(progress_from=500_000)
    if only:
        unknown = set(only) - set(ops)
        if unknown:
            raise SystemExit(f"bench_scale: unknown operations {sorted(unknown)}; known: {', '.join(ops)}")
        ops = {op: fn for op, fn in ops.items() if op in only}
    times: dict = {op: {} for op in ops}
    peaks: dict = {op: {} for op in ops}
    facts: dict = {op: {} for op in ops}
    plans: dict = {}
    largest = agencies[-1]
    for op, fn in ops.items():
        spent: dict = collections.defaultdict(float)
        for rnd in range(5):
            for ag in agencies:
                if rnd > 0 and spent[ag.size] > budget:
                    continue
                ag.use()
                if op == "sweep (cold)":
                    ag.clear_outbox()
                gc.collect()
                peak_ok = _reset_peak()
                before = _status_kb("VmRSS") or 0
                cap = Capture(get_engine()) if (rnd == 0 and ag is largest) else None
                full_gc = FullGc()
                gc.callbacks.append(full_gc)
                t = time.process_time()  # CPU time: SQLite runs in-process; a busy machine disturbs it less
                try:
                    if cap is not None:
                        with cap:
                            result = fn(ag)
                    else:
                        result = fn(ag)
                finally:
                    took = time.process_time() - t
                    gc.callbacks.remove(full_gc)
                peak = _status_kb("VmHWM") if peak_ok else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                spent[ag.size] += took
                if took < times[op].get(ag.size, (float("inf"),))[0]:
                    times[op][ag.size] = (took, full_gc.seconds, full_gc.count)
                if peak and peak >= peaks[op].get(ag.size, (0, 0))[0]:
                    peaks[op][ag.size] = (peak, peak - before)
                if rnd == 0:
                    facts[op][ag.size] = describe(op, result)
                if cap is not None:
                    plans[op] = cap.seen
                del result
    return times, peaks, facts, plans


# --------------------------------------------------------------------------- report

INDEXED = re.compile(r"USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY|Index (Only )?Scan|Bitmap Index Scan")
GROWING = "cases|history_event|applicant|letter"  # tables whose size is the agency's record
# Which index the case query of each operation must use (SQLite plans name it).
REQUIRED_INDEX = {"list --overdue": "ix_cases_open_due", "list": "ix_cases_open_due", "sweep": "ix_cases_open_due"}


def verdict(growth: float, small: int, large: int) -> str:
    f = large / small
    if growth <= f * 1.15:  # +15% for the noise of a shared machine
        return "linear"
    if growth <= f * math.log(large) / math.log(small) * 1.15:  # n log n: what B-tree lookups cost anyway
        return "n log n"
    return "SUPERLINEAR"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="10000,100000", help="historical cases per agency, comma-separated")
    ap.add_argument("--open-share", type=float, default=0.05, help="open cases per historical case (issue: 50k:1M)")
    ap.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    ap.add_argument("--keep", type=Path, help="keep the generated agencies here and reuse them (SQLite)")
    ap.add_argument("--tmp", type=Path, help="where temporary agencies go (default: the system temp dir)")
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="generator processes (0: inline)")
    ap.add_argument("--ops", help="only these operations, comma-separated (default: all)")
    ap.add_argument("--budget", type=float, default=20.0, help="CPU seconds per operation and size before "
                                                               "it is no longer repeated")
    args = ap.parse_args()
    if args.keep and args.backend != "sqlite":
        ap.error("--keep works with the SQLite backend only")
    sizes = [int(s) for s in args.sizes.split(",")]
    check_columns()
    header("bench_scale", f"{args.backend}, agencies of {', '.join(f'{s:,}' for s in sizes)} historical cases "
                          f"+ {args.open_share:.0%} open, as of {AS_OF}")
    agencies: list[Agency] = []
    try:
        for size in sizes:
            ag = Agency(args.backend, size, int(size * args.open_share), keep=args.keep, tmp=args.tmp,
                        workers=args.workers)
            agencies.append(ag)
            c = ag.counts
            print(f"size {size:,}: {c['cases']:,} cases ({c['open']:,} open), {c['events']:,} history events, "
                  f"{c['letters']:,} letters, {c['db_bytes'] / 2**20:,.0f} MiB; "
                  + (f"reused from {ag.home}" if ag.reused else
                     f"generated in {c['insert_s'] + c['index_s']:.0f} s wall ({c['insert_s']:.0f} s build and "
                     f"insert, {args.workers} workers; {c['index_s']:.0f} s indexes and ANALYZE)"), flush=True)
        gc.collect()
        times, peaks, facts, plans = measure(agencies, args.budget, args.ops.split(",") if args.ops else None)
        agencies[-1].use()
        from ogi.engine.store.db import get_engine

        if args.backend == "postgres":
            # The sweeps have just filled the outbox, which had no statistics yet: what autovacuum
            # would do after that many inserts (without it the planner guesses on an empty table).
            from sqlalchemy import text

            with get_engine().begin() as c:
                c.execute(text("ANALYZE warning_outbox; ANALYZE warning_delivery"))
        explained = {op: explain(get_engine(), stmts) for op, stmts in plans.items()}
    finally:
        for ag in agencies:
            ag.drop()

    print()
    for ag in agencies:
        print(f"size {ag.size:,}: " + "; ".join(f"{op}: {facts[op][ag.size]}" for op in facts if facts[op].get(ag.size)))
    print()
    steps = list(zip(sizes, sizes[1:]))
    order = ["linear", "n log n", "SUPERLINEAR"]
    head = "".join(f"{f'{a // 1000}k->{b // 1000}k':>18}" for a, b in steps)
    print(f"{'operation':<16}{head}   {'verdict':<24}" + "".join(f"{f'CPU {s // 1000}k':>12}" for s in sizes)
          + f"{'full GC ' + str(sizes[-1] // 1000) + 'k':>16}" + "".join(f"{f'RSS {s // 1000}k':>14}" for s in sizes))
    verdicts, verdicts_nogc = {}, {}
    for op in times:
        cells, worst, worst_nogc = "", "linear", "linear"
        for a, b in steps:
            (ta, ga, _), (tb, gb, _) = times[op][a], times[op][b]
            g, g_nogc = tb / ta, (tb - gb) / max(ta - ga, 1e-9)
            worst = max(worst, verdict(g, a, b), key=order.index)
            worst_nogc = max(worst_nogc, verdict(g_nogc, a, b), key=order.index)
            cells += f"{f'{g:.1f}x ({g_nogc:.1f}x)':>18}"
        verdicts[op], verdicts_nogc[op] = worst, worst_nogc
        said = worst if worst == worst_nogc else f"{worst} ({worst_nogc} w/o GC)"
        t_last, g_last, n_last = times[op][sizes[-1]]
        print(f"{op:<16}{cells}   {said:<24}" + "".join(f"{f'{times[op][s][0]:.2f} s':>12}" for s in sizes)
              + f"{f'{n_last}x {g_last:.2f} s':>16}"
              + "".join(f"{f'{peaks[op][s][0] / 1024:.0f} ({peaks[op][s][1] / 1024:+.0f})':>14}" for s in sizes))
    print("(growth = CPU time at the larger size / at the smaller, 10x the cases each step; in brackets: without the "
          "CPU of full GC passes (number and CPU at the largest size under 'full GC'); RSS = the process's peak during "
          "the operation in MiB (+ its rise over the RSS before it); absolute figures are this run's, for orientation "
          "only)")
    print()
    print(f"Query plans at {sizes[-1]:,} cases (EXPLAIN{' QUERY PLAN' if args.backend == 'sqlite' else ''}):")
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
            if op not in ("list --overdue", "list", "sweep"):
                continue
            # The tables that grow with the record must be searched, never scanned. (On PostgreSQL
            # the planner may scan the small outbox for a 500-id chunk when that is cheaper than
            # 500 probes: a per-chunk cost bounded by the chunk, shown above, not flagged.)
            touches = re.findall(rf"\b(?:FROM|JOIN) ({GROWING})\b", sql)
            full = [p for p in plan if re.search(rf"^(?:SCAN|Seq Scan on) ({GROWING})\b", p.strip().lstrip("-> "))]
            if full or (touches and not any(INDEXED.search(p) for p in plan)):
                unindexed.append((op, sql[:80]))
            if args.backend == "sqlite" and re.search(r"\bFROM cases\b", sql) and REQUIRED_INDEX[op] not in " ".join(plan):
                unindexed.append((op, f"does not use {REQUIRED_INDEX[op]}: {sql[:60]}"))
    linear = all(v == "linear" for v in verdicts.values())
    nlogn = [op for op, v in verdicts.items() if v == "n log n"]
    superlinear = [op for op, v in verdicts.items() if v == "SUPERLINEAR"]
    # A growth above n log n that disappears without the full GC passes is the collector's
    # step (geometric in the heap: linear in the long run), not the operation's algorithm.
    real = [op for op in superlinear if verdicts_nogc[op] == "SUPERLINEAR"]
    gc_only = [op for op in verdicts if verdicts[op] != "linear" and verdicts_nogc[op] == "linear"]
    if unindexed:
        print("NOT INDEXED:", unindexed)
    ok = not real and not unindexed
    print(f"RESULT bench_scale linear={'yes' if linear else 'NO'}"
          f"{' (within n log n: ' + ', '.join(nlogn) + ')' if nlogn else ''}"
          f"{' (linear without full GC passes: ' + ', '.join(gc_only) + ')' if gc_only else ''} "
          f"superlinear={', '.join(real) if real else 'none'} "
          f"indexed={'yes' if not unindexed else 'NO'} {'OK' if ok else 'MISSED'}")
    if unindexed:
        sys.exit(1)


if __name__ == "__main__":
    main()
