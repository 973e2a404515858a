"""The agency log's Merkle tree: streaming a 1M-leaf root and a consistency proof, time and memory.

    .venv/bin/python bench/bench_merkle.py [--leaves 1000000] [--size 160] [--repeat 3]

What a verifier of `ogi audit verify --checkpoint` does on the whole log (issue 15, item 8):
read every leaf once, in order, and keep only O(log n) hashes. The leaves are generated records
of --size bytes (about one history event as the log will store it), never held in a list.

  baseline          sha256(record) for every record: the floor, since a verifier must at least
                    hash every leaf once; the record generator is included on both sides
  streamed root     CompactRange().extend(leaf_hash(record) for record in ...).root()
  streamed proof    consistency_proof_stream(...) from a checkpoint at 60% of the log: both
                    roots and the proof in the same single pass
  hashes only       the root from stored leaf hashes (32 bytes each) vs sha256 of each of them

Time: best of --repeat, ours and the baseline interleaved so that the machine's load hits both.
Memory: peak traced by tracemalloc in a separate run of each (tracing slows everything down, so
those runs are not timed); "root(list)" shows what a materialised list of leaf hashes would cost.
Ratios are what to compare across runs (bench/README.md); seconds are for orientation.
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header  # noqa: E402

from ogi.engine.ledger.merkle import (CompactRange, consistency_proof_stream, leaf_hash,  # noqa: E402
                                      root, verify_consistency)


def records(count: int, size: int):
    """count distinct records of `size` bytes, generated one at a time."""
    pad = b"x" * max(0, size - 24)
    for i in range(count):
        yield b"event %018d" % i + pad


_POOL = [hashlib.sha256(b"%d" % i).digest() for i in range(4096)]


def hashed(count: int):
    """Stored leaf hashes, one at a time, drawn from a pool (cheap: not the thing measured)."""
    pool = _POOL
    for i in range(count):
        yield pool[i & 4095]


def baseline_records(n, size):
    sha = hashlib.sha256
    for r in records(n, size):
        sha(r).digest()


def streamed_root(n, size):
    return CompactRange().extend(leaf_hash(r) for r in records(n, size)).root()


def streamed_proof(n, size):
    return consistency_proof_stream((leaf_hash(r) for r in records(n, size)), int(n * 0.6), n)


def baseline_hashes(n, _size):
    sha = hashlib.sha256
    for h in hashed(n):
        sha(h).digest()


def root_of_hashes(n, _size):
    return CompactRange().extend(hashed(n)).root()


def root_of_list(n, _size):
    return root([hashlib.sha256(b"%d" % i).digest() for i in range(n)])   # n distinct hashes held


def best(fn, n, size, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn(n, size)
        times.append(time.perf_counter() - t)
    return min(times)


def peak(fn, n, size) -> int:
    tracemalloc.start()
    try:
        fn(n, size)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def kib(b: int) -> str:
    return f"{b / 1024:,.1f} KiB" if b < 1 << 20 else f"{b / (1 << 20):,.1f} MiB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--leaves", type=int, default=1_000_000, help="leaves in the log")
    ap.add_argument("--size", type=int, default=160, help="bytes per leaf record")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each (best counts)")
    args = ap.parse_args()
    n, size = args.leaves, args.size
    header("bench_merkle", f"streaming an RFC 6962 log of {n:,} leaves ({size}-byte records)")

    # correctness first: the streamed proof verifies and its roots are the streamed roots
    old = int(n * 0.6)
    sp = streamed_proof(n, size)
    assert sp.new_root == streamed_root(n, size)
    assert verify_consistency(old, n, sp.old_root, sp.new_root, sp.proof)
    print(f"   consistency proof {old:,} -> {n:,} leaves: {len(sp.proof)} hashes, verifies")

    rows = {"baseline sha256(record)": baseline_records, "streamed root": streamed_root,
            "streamed proof": streamed_proof}
    hash_rows = {"baseline sha256(hash)": baseline_hashes, "root from hashes": root_of_hashes}
    times = {name: [] for name in (*rows, *hash_rows)}
    for _ in range(args.repeat):               # interleaved rounds, best of each
        for name, fn in (*rows.items(), *hash_rows.items()):
            times[name].append(best(fn, n, size, 1))
    t = {name: min(v) for name, v in times.items()}

    print(f"\n{'time':28} {'seconds':>9} {'leaves/s':>12} {'vs baseline':>12}")
    for group, base in ((rows, "baseline sha256(record)"), (hash_rows, "baseline sha256(hash)")):
        for name in group:
            print(f"{name:28} {t[name]:9.3f} {n / t[name]:12,.0f} {t[name] / t[base]:11.2f}x")

    peaks = {name: peak(fn, n, size) for name, fn in
             (("baseline sha256(record)", baseline_records), ("streamed root", streamed_root),
              ("streamed proof", streamed_proof), ("root(list) materialised", root_of_list))}
    base = peaks["baseline sha256(record)"]
    print(f"\n{'peak memory (tracemalloc)':28} {'peak':>12} {'vs baseline':>12}")
    for name, p in peaks.items():
        print(f"{name:28} {kib(p):>12} {p / base:11.1f}x")

    print(f"\nstreamed root / sha256 floor: {t['streamed root'] / t['baseline sha256(record)']:.2f}x time, "
          f"{peaks['streamed root'] / base:.1f}x memory; the proof pass: "
          f"{t['streamed proof'] / t['streamed root']:.2f}x the root pass")


if __name__ == "__main__":
    main()
