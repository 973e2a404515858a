"""Verifying the agency's log against a checkpoint (issue 15): time and peak memory at scale.

    .venv/bin/python bench/bench_ledger_verify.py [--sizes 10000,100000] [--keep DIR] [--workers 2]

For each size S the agency of bench_scale.py is generated (S closed cases plus 5% open ones,
realistic history events with valid chains, letters and counters: bulk inserts, not the CLI;
--keep DIR reuses the agencies bench_scale keeps), then its log is filled the way migration 0007
does (engine/ledger/store.py event_body / leaf_hex per event in id order, then the counter),
streamed and batch-inserted, so every event has its leaf. A checkpoint is signed at 90% of the
log (Ed25519, a key generated for the run), so the verify needs a consistency proof to today's
size, as in practice.

Timed (wall and CPU seconds, best of --rounds), and measured for memory:

  ledger verify    engine/ledger/store.verify_ledger(session, checkpoint): the log's roots and
                   proof (one pass), every event row against its leaf (a merge), the other leaves
  audit verify     engine/legal/audit.verify(checkpoint=FILE, key=...): `ogi audit verify
                   --checkpoint FILE`, the whole record as well as the log

Peak memory two ways: tracemalloc's peak of Python allocations during the operation (a separate
run: tracing slows it down), and the process's RSS high-water mark reset before the operation
(/proc/self/clear_refs), with its rise over the RSS before.
"""
from __future__ import annotations

import argparse
import datetime as dt
import gc
import sqlite3
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header  # noqa: E402
import bench_scale  # noqa: E402


def fill_log(db_path: Path) -> int:
    """Leaves for every event (then calendar year) of a database without them, as migration 0007
    would, streamed: the number of leaves."""
    from ogi.engine.ledger.store import SCOPE, SCOPE_YEAR, event_body, leaf_hex
    from ogi.engine.store.rows import EventRow, as_date

    con = sqlite3.connect(str(db_path), isolation_level=None)
    con.execute("PRAGMA synchronous=OFF")
    have = con.execute("SELECT COUNT(*) FROM ledger_leaf").fetchone()[0]
    events = con.execute("SELECT COUNT(*) FROM history_event").fetchone()[0]
    if have >= events and have:
        con.close()
        return have
    con.execute("BEGIN")
    con.execute("DROP TRIGGER IF EXISTS ledger_leaf_no_delete")
    con.execute("DELETE FROM ledger_leaf")
    con.execute("DELETE FROM counter WHERE scope = ? AND year = ?", (SCOPE, SCOPE_YEAR))
    read = con.cursor()
    read.execute("SELECT e.id, e.case_id, e.seq, e.recorded_at, e.actor, e.action, e.effective_on, e.reason, e.data, "
                 "e.prev_hash, e.hash, e.actor_auth, c.number FROM history_event e LEFT JOIN cases c ON c.id = e.case_id "
                 "ORDER BY e.id")
    idx = 0
    while True:
        chunk = read.fetchmany(5000)
        if not chunk:
            break
        batch = []
        for r in chunk:
            ev = EventRow(r[0], r[1], r[2], r[3], r[4], r[5], as_date(r[6]), r[7], r[8], r[9], r[10], r[11] or "")
            body = event_body(ev, r[12])
            batch.append((idx, "event", ev.id, leaf_hex(body), body))
            idx += 1
        con.executemany("INSERT INTO ledger_leaf (idx, kind, ref, leaf_hash, body) VALUES (?, ?, ?, ?, ?)", batch)
    con.execute("INSERT INTO counter (scope, year, value) VALUES (?, ?, ?)", (SCOPE, SCOPE_YEAR, idx))
    con.execute("COMMIT")
    con.close()
    return idx


def sign_checkpoint(db_path: Path, share: float, out: Path) -> tuple:
    """A checkpoint of the log's first `share` of leaves, signed with a fresh key: (Checkpoint,
    verifier key, note path)."""
    from ogi.engine.identity import now_shanghai
    from ogi.engine.ledger import merkle
    from ogi.engine.ledger.checkpoint import Checkpoint, generate_key, parse_and_verify, sign

    con = sqlite3.connect(str(db_path))
    total = con.execute("SELECT COUNT(*) FROM ledger_leaf").fetchone()[0]
    size = max(1, int(total * share))
    cr = merkle.CompactRange().extend(
        bytes.fromhex(h) for (h,) in con.execute("SELECT leaf_hash FROM ledger_leaf WHERE idx < ? ORDER BY idx", (size,)))
    con.close()
    signer, verifier = generate_key("ogi/bench")
    when = now_shanghai() - dt.timedelta(days=365)  # the later leaves carry 2024-2026 times
    note = sign(Checkpoint("ogi/bench", cr.size, cr.root(), when), signer)
    out.write_text(note, encoding="utf-8")
    return parse_and_verify(note, verifier, "ogi/bench"), verifier, out


def op_ledger(cp):
    from ogi.engine.ledger.store import verify_ledger
    from ogi.engine.store.db import read_session

    with read_session() as s:
        r = verify_ledger(s, cp)
    if r["findings"]:
        raise SystemExit(f"bench_ledger_verify: unexpected findings {r['findings'][:3]}")
    return r


def op_audit(path, verifier):
    from ogi.engine.legal.audit import verify

    r = verify(None, checkpoint=str(path), key=verifier)
    if not r["ok"]:
        raise SystemExit(f"bench_ledger_verify: audit verify not ok: {r['broken'][:3]}")
    return r


def timed(fn, rounds: int) -> tuple[float, float]:
    best_wall = best_cpu = float("inf")
    for _ in range(rounds):
        gc.collect()
        w, c = time.perf_counter(), time.process_time()
        fn()
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    return best_wall, best_cpu


def memory(fn) -> tuple[float, float | None, float | None]:
    """(tracemalloc peak MiB, RSS high-water MiB, its rise over the RSS before) of one run."""
    gc.collect()
    reset = bench_scale._reset_peak()
    before = bench_scale._status_kb("VmRSS")
    fn()
    hwm = bench_scale._status_kb("VmHWM") if reset else None
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = 1024.0
    return peak / mib / mib, (hwm / mib if hwm else None), ((hwm - before) / mib if hwm and before else None)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--keep", type=Path)
    ap.add_argument("--tmp", type=Path)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--share", type=float, default=0.9, help="the checkpoint's share of the log")
    ap.add_argument("--ops", default="ledger,audit", help="ledger (verify_ledger), audit (ogi audit verify --checkpoint)")
    a = ap.parse_args()
    header("bench_ledger_verify", "verify the agency's log against a checkpoint (SQLite)")
    rows = []
    for size in (int(x) for x in a.sizes.split(",")):
        t0 = time.perf_counter()
        ag = bench_scale.Agency("sqlite", size, int(size * 0.05), keep=a.keep, tmp=a.tmp, workers=a.workers)
        gen = time.perf_counter() - t0
        ag.use()
        from ogi.engine.store.db import database_url, dispose_engines, sqlite_path

        dispose_engines()
        t1 = time.perf_counter()
        leaves = fill_log(sqlite_path(database_url()))
        fill = time.perf_counter() - t1
        cp, verifier, path = sign_checkpoint(sqlite_path(database_url()), a.share, ag.home / "bench-cp.txt")
        print(f"   {size:>9,} cases: {leaves:,} leaves, checkpoint at {cp.size:,}; generated in {gen:.0f} s"
              f"{' (reused)' if ag.reused else ''}, log filled in {fill:.0f} s, db {ag.db_bytes() / 2**20:.0f} MiB",
              flush=True)
        ops = {"ledger": ("ledger verify", lambda: op_ledger(cp)), "audit": ("audit verify", lambda: op_audit(path, verifier))}
        for name, fn in (ops[o] for o in a.ops.split(",")):
            wall, cpu = timed(fn, a.rounds)
            tm, hwm, rise = memory(fn)
            rows.append((name, size, leaves, wall, cpu, tm, hwm, rise))
            print(f"   {name:<14} {size:>9,} cases {leaves:>10,} leaves  {wall:8.2f} s wall {cpu:8.2f} s cpu  "
                  f"tracemalloc peak {tm:7.1f} MiB  RSS peak {_n(hwm):7.1f} MiB (+{_n(rise):.1f})",
                  flush=True)
        dispose_engines()
        if not ag.kept:
            ag.drop()
    print()
    print(f"   {'operation':<14} {'cases':>9} {'leaves':>10} {'wall s':>8} {'cpu s':>8} {'µs/leaf':>8} "
          f"{'tracemalloc MiB':>15} {'RSS peak MiB':>12}")
    for name, size, leaves, wall, cpu, tm, hwm, rise in rows:
        print(f"   {name:<14} {size:>9,} {leaves:>10,} {wall:8.2f} {cpu:8.2f} {1e6 * cpu / leaves:8.1f} "
              f"{tm:15.1f} {_n(hwm):12.1f}")


def _n(x) -> float:
    return float("nan") if x is None else x


if __name__ == "__main__":
    main()
