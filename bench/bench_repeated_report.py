"""`ogi report repeated` on an agency of answered cases (issue 17): time and peak memory.

    .venv/bin/python bench/bench_repeated_report.py --db AGENCY.db [--db ...]

AGENCY.db: an agency bench_scale.py kept (`--keep DIR`: DIR/scale-N-open-M/ogi.db), copied,
upgraded by `ogi init` to the current schema, and its descriptions replaced by those of
bench_similarity.py's corpus (the kept file is not touched). Each operation runs in
its own child process (a child inherits its parent's peak RSS: the parent does nothing heavy):

  baseline   the rows the report reads (case, received_on, outcome, description, applicant),
             grouped exactly on engine.store.keys.normalise: the report before issue 17
  report     engine/legal/repeated.report (recorded items first, then similarity.group over every
             description; the proactive status of each group), as `ogi report repeated --json`

Printed: seconds, groups, peak RSS (ru_maxrss), and the ratio against the baseline of the same run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import header  # noqa: E402


def _baseline() -> dict:
    import sqlite3

    from ogi.engine.store.keys import applicant_key, normalise

    class Ap:
        def __init__(self, name, kind, id_number):
            self.name, self.kind, self.id_number = name, kind, id_number

    con = sqlite3.connect(os.environ["OGI_BENCH_DB"])
    groups: dict[str, set] = {}
    for desc, name, kind, idn in con.execute(
            "SELECT c.description, a.name, a.kind, a.id_number FROM cases c JOIN applicant a ON a.id = c.applicant_id "
            "ORDER BY c.received_on, c.id"):
        groups.setdefault(normalise(desc), set()).add(applicant_key(Ap(name, kind, idn)))
    return {"groups": sum(1 for g in groups.values() if len(g) >= 2)}


def _report() -> dict:
    from ogi.engine.legal.repeated import report

    r = report("admin")
    return {"groups": len(r["items"]), "largest": max((x["requests"] for x in r["items"]), default=0)}


def child(op: str) -> None:
    t = time.perf_counter()
    out = {"baseline": _baseline, "report": _report}[op]()
    out["seconds"] = time.perf_counter() - t
    out["rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def _reword(db: Path) -> int:
    """bench_scale's descriptions are a few dozen subjects: each case gets instead a description
    of bench_similarity's corpus (templates x places x years x phrasings, seeded), so the report
    groups what applicants really write. The number of cases."""
    import sqlite3

    from bench_similarity import corpus

    con = sqlite3.connect(db)
    ids = [r[0] for r in con.execute("SELECT id FROM cases ORDER BY id")]
    con.executemany("UPDATE cases SET description = ? WHERE id = ?",
                    ((text, cid) for cid, (_key, text) in zip(ids, corpus(len(ids)))))
    con.commit()
    con.close()
    return len(ids)


def run(op: str, env: dict) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", op], env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr[-3000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, action="append", default=[])
    ap.add_argument("--child")
    a = ap.parse_args()
    if a.child:
        child(a.child)
        return
    header("bench_repeated_report", "ogi report repeated on an agency of answered cases (SQLite)")
    print("        cases  operation     seconds   groups  peak RSS MiB   ratio")
    for db in a.db:
        home = Path(tempfile.mkdtemp(prefix="ogi-bench-repeated-"))
        try:
            shutil.copyfile(db, home / "ogi.db")
            kept_cfg = db.with_name("ogi.toml")
            if kept_cfg.exists():
                shutil.copyfile(kept_cfg, home / "ogi.toml")
            env = {**os.environ, "OGI_HOME": str(home), "OGI_TODAY": "2026-12-31", "OGI_USER": "admin",
                   "OGI_BENCH_DB": str(home / "ogi.db")}
            env.pop("OGI_DATABASE_URL", None)
            env.pop("OGI_CONFIG", None)
            subprocess.run([str(Path(sys.executable).with_name("ogi")), "init"], env=env, check=True,
                           capture_output=True)  # the kept agency's schema brought to this version
            n = _reword(home / "ogi.db")
            base = run("baseline", env)
            rep = run("report", env)
            for name, r in (("baseline", base), ("report", rep)):
                print(f"  {n:>11,}  {name:<10} {r['seconds']:>9.2f} {r['groups']:>8,} {r['rss_mib']:>13.1f}"
                      f"   {r['seconds'] / base['seconds']:>5.1f}x baseline")
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
