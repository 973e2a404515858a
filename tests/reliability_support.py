"""Helpers shared by the reliability suites (tests/test_reliability_*.py): fresh instances that
outlive one test function (hypothesis examples, subprocess workers), an in-process CLI runner,
and the consistency checks every suite repeats (chains, projection vs. history, gap-free numbers,
a full snapshot of every table to prove that a refused step changed nothing)."""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from conftest import FIXED_TODAY, PG_BASE, pg_available

REPO = Path(__file__).resolve().parent.parent
VENV_BIN = REPO / ".venv" / "bin"
WORKER = Path(__file__).resolve().with_name("reliability_worker.py")
ENV_KEYS = ("OGI_HOME", "OGI_DATABASE_URL", "OGI_TODAY", "OGI_USER", "OGI_CONFIG", "OGI_LETTERS_DIR")

# A user who is both clerk and reviewer: the "no self-approval" rule needs one.
EXTRA_USERS = """
[users.sun]
name = "孙双"
roles = ["clerk", "reviewer"]
"""


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_cli(argv: list[str], user: str | None = "li") -> CliResult:
    """`ogi ARGV` in this process (the same main() as the console script), output captured."""
    from ogi import cli

    if user is not None:
        os.environ["OGI_USER"] = user
    else:
        os.environ.pop("OGI_USER", None)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([str(a) for a in argv])
    return CliResult(code, out.getvalue(), err.getvalue())


def has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_clear_refusal(r: CliResult, *, codes=(1,), what: str = "") -> None:
    """Refused the way a clerk should see it: exit 1 (2 for usage), Chinese, no traceback."""
    assert r.exit_code in codes, f"{what}: exit {r.exit_code}, expected {codes}\n{r.output}"
    assert "Traceback" not in r.output, f"{what}: traceback leaked\n{r.output}"
    assert r.stderr.strip(), f"{what}: nothing on stderr\n{r.output}"
    assert has_cjk(r.stderr) or r.exit_code == 2, f"{what}: message not in Chinese: {r.stderr!r}"
    assert "内部错误" not in r.output, f"{what}: an unexpected error reached the clerk: {r.output}"


# --------------------------------------------------------------------------- instances

@dataclass
class Instance:
    """A fresh ogi instance (SQLite file or PostgreSQL schema) not tied to a pytest fixture."""

    backend: str
    home: Path
    url: str
    schema: str | None = None
    env: dict = field(default_factory=dict)
    _saved: dict = field(default_factory=dict)

    @classmethod
    def create(cls, backend: str, *, extra_config: str = EXTRA_USERS, init: bool = True) -> "Instance":
        home = Path(tempfile.mkdtemp(prefix=f"ogi-rel-{backend}-"))
        schema = None
        if backend == "postgres":
            from sqlalchemy import create_engine, text

            schema = "ogi_r_" + secrets.token_hex(6)
            admin = create_engine(PG_BASE)
            with admin.begin() as c:
                c.execute(text(f"CREATE SCHEMA {schema}"))
            admin.dispose()
            url = f"{PG_BASE}?options=-csearch_path%3D{schema}"
        else:
            url = f"sqlite:///{home / 'ogi.db'}"
        inst = cls(backend, home, url, schema)
        inst.env = {"OGI_HOME": str(home), "OGI_TODAY": FIXED_TODAY, "OGI_USER": "li",
                    "OGI_LETTERS_DIR": str(home / "letters")}
        if backend == "postgres":
            inst.env["OGI_DATABASE_URL"] = url
        if extra_config is not None:
            from ogi.engine.config import TRAINING_CONFIG

            text = TRAINING_CONFIG + extra_config  # declared users: a test instance
            (home / "ogi.toml").write_text(text, encoding="utf-8")
        inst.activate()
        if init:
            r = run_cli(["init", "--training"], user="admin")
            if r.exit_code != 0:
                inst.close()
                raise AssertionError(f"ogi init failed: {r.output}")
        return inst

    def activate(self) -> None:
        """Point this process's environment at the instance (saved for restore on close)."""
        if not self._saved:
            self._saved = {k: os.environ.get(k) for k in ENV_KEYS}
        for k in ENV_KEYS:
            os.environ.pop(k, None)
        os.environ.update(self.env)

    def subprocess_env(self, user: str = "li", **extra: str) -> dict:
        env = {k: v for k, v in os.environ.items() if k not in ENV_KEYS}
        env.update(self.env)
        env["OGI_USER"] = user
        env["PYTHONPATH"] = str(REPO / "tests")
        env.update(extra)
        return env

    def close(self) -> None:
        from ogi.engine.store.db import get_engine

        try:
            get_engine(self.url).dispose()
        except Exception:  # noqa: BLE001 - best effort
            pass
        if self.schema:
            from sqlalchemy import create_engine, text

            admin = create_engine(PG_BASE)
            with admin.begin() as c:
                c.execute(text(f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"))
            admin.dispose()
        for k, v in self._saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(self.home, ignore_errors=True)

    def engine(self):
        from ogi.engine.store.db import get_engine

        return get_engine(self.url)


# --------------------------------------------------------------------------- checks

_REFLECTED: dict[str, object] = {}


def snapshot(url: str) -> dict:
    """Every row of every table (hashed per table) plus row counts: any change shows."""
    from sqlalchemy import MetaData, select

    from ogi.engine.store.db import get_engine

    eng = get_engine(url)
    md = _REFLECTED.get(url)
    if md is None:
        md = _REFLECTED[url] = MetaData()
        md.reflect(bind=eng)
    out = {}
    with eng.connect() as conn:
        for name, table in sorted(md.tables.items()):
            pk = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*pk)).all()
            h = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
            out[name] = (len(rows), h)
    return out


def history_hashes(url: str) -> dict[int, list[str]]:
    from sqlalchemy import text

    from ogi.engine.store.db import get_engine

    with get_engine(url).connect() as c:
        rows = c.execute(text("SELECT case_id, hash FROM history_event ORDER BY case_id, seq")).all()
    out: dict[int, list[str]] = {}
    for cid, h in rows:
        out.setdefault(cid, []).append(h)
    return out


@dataclass
class Audit:
    cases: int = 0
    events: int = 0
    letters: int = 0
    problems: list = field(default_factory=list)


def audit_database(url: str, *, check_cache: bool = True) -> Audit:
    """Re-walk every chain; the case row must equal the replay of its history (state, outcome,
    cached due dates); every due date a working day; case numbers and 文号 unique and gap-free."""
    from sqlmodel import Session, select

    from ogi.engine.cases import clocks as clk
    from ogi.engine.store.calendar_store import load_calendar
    from ogi.engine.cases.steps import events_of, facts_of
    from ogi.engine.config import load_config
    from ogi.engine.store.db import get_engine
    from ogi.engine.cases.history import verify_chain
    from ogi.engine.store.tables import Case, Letter

    cfg = load_config()
    a = Audit()
    with Session(get_engine(url)) as s:
        if s.get_bind().dialect.name == "postgresql":  # one snapshot for every query below
            s.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        cal = load_calendar(s)
        cases = s.exec(select(Case).order_by(Case.id)).all()
        a.cases = len(cases)
        for case in cases:
            events = events_of(s, case.id)
            a.events += len(events)
            broken = verify_chain(events)
            if broken:
                a.problems.append(f"case {case.id}: chain broken: {broken.problem}")
                continue
            facts = facts_of(s, case.id, cfg)
            clocks = clk.compute_clocks(facts, cal)
            if case.state != facts.state.value:
                a.problems.append(f"case {case.id}: state {case.state} != history {facts.state.value}")
            if check_cache:
                answer = next((c for c in clocks if c.key == "answer"), None)
                nxt = clk.next_running(clocks)
                want_next = nxt.due if nxt and not case.closed else None
                if case.answer_due != (answer.due if answer else None):
                    a.problems.append(f"case {case.id}: answer_due {case.answer_due} != recomputed {answer and answer.due}")
                if case.next_due != want_next:
                    a.problems.append(f"case {case.id}: next_due {case.next_due} != recomputed {want_next}")
                if case.outcome != facts.outcome:
                    a.problems.append(f"case {case.id}: outcome {case.outcome} != history {facts.outcome}")
            for c in clocks:
                if c.due is None or (c.key == "answer" and facts.delay_until and c.due == facts.delay_until):
                    continue
                if not cal.is_workday(c.due, allow_provisional=True):
                    a.problems.append(f"case {case.id}: {c.key} due {c.due} is not a working day")
        letters = s.exec(select(Letter)).all()
        a.letters = len(letters)
        by: dict[tuple, list[int]] = {}
        for l in letters:
            by.setdefault((l.family, l.year), []).append(l.seq)
        for key, seqs in by.items():
            if sorted(seqs) != list(range(1, len(seqs) + 1)):
                a.problems.append(f"文号 {key}: not gap-free/unique: {sorted(seqs)}")
        numbers = [l.number for l in letters]
        if len(set(numbers)) != len(numbers):
            a.problems.append("duplicate 文号")
        per_year: dict[str, list[int]] = {}
        for case in cases:
            y, n = case.number.split("-")
            per_year.setdefault(y, []).append(int(n))
        for y, ns in per_year.items():
            if sorted(ns) != list(range(1, len(ns) + 1)):
                a.problems.append(f"case numbers {y}: not gap-free/unique: {sorted(ns)}")
    return a


def settle(url: str) -> None:
    """After a SIGKILL: wait until every write transaction the dead process had open on this
    database is gone (rolled back, or committed if its COMMIT was already on the wire).
    On PostgreSQL a SHARE lock on the written tables waits for exactly those; SQLite needs nothing
    (the next connection rolls back the dead process's journal)."""
    from sqlalchemy import text

    from ogi.engine.store.db import get_engine

    eng = get_engine(url)
    if eng.dialect.name != "postgresql":
        return
    with eng.begin() as c:
        c.execute(text("SET LOCAL lock_timeout = '30s'"))
        c.execute(text("LOCK TABLE cases, history_event, letter, counter IN SHARE MODE"))


def sqlite_integrity(path: Path) -> str:
    import sqlite3

    con = sqlite3.connect(str(path))
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


# --------------------------------------------------------------------------- subprocesses

def start_worker(inst: Instance, plan: dict, *, user: str = "li") -> subprocess.Popen:
    """A real OS process running tests/reliability_worker.py with a JSON plan on stdin."""
    p = subprocess.Popen([sys.executable, str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=inst.subprocess_env(user), text=True, cwd=str(REPO))
    p.stdin.write(json.dumps(plan))
    p.stdin.close()
    p.stdin = None  # communicate() must not touch the closed pipe
    return p


def wait_ready(p: subprocess.Popen) -> dict:
    """The worker's first line: it has imported everything and waits for the go file."""
    line = p.stdout.readline()
    if not line:
        raise AssertionError(f"worker died before it was ready: {p.stderr.read()[-3000:]}")
    rec = json.loads(line)
    assert rec.get("ready"), rec
    return rec


def run_together(inst: Instance, plans: list[tuple[dict, str]], go_dir: Path) -> tuple[list[list[dict]], float]:
    """Start one worker per plan, wait until all are ready, release them at once, collect
    every record. Returns the records per worker and the wall time from release to the end."""
    import time

    go = go_dir / f"go-{secrets.token_hex(4)}"
    procs = [start_worker(inst, {**plan, "go_file": str(go)}, user=user) for plan, user in plans]
    for p in procs:
        wait_ready(p)
    t0 = time.perf_counter()
    go.touch()
    results = [collect(p) for p in procs]
    return results, time.perf_counter() - t0


def collect(p: subprocess.Popen, timeout: float = 120) -> list[dict]:
    out, err = p.communicate(timeout=timeout)
    assert p.returncode == 0, f"worker failed ({p.returncode}): {err[-3000:]}"
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def today() -> dt.date:
    return dt.date.fromisoformat(FIXED_TODAY)


__all__ = ["CliResult", "Instance", "run_cli", "snapshot", "history_hashes", "audit_database",
           "assert_clear_refusal", "has_cjk", "sqlite_integrity", "settle", "start_worker", "collect", "wait_ready",
           "run_together", "pg_available",
           "today", "VENV_BIN", "REPO"]
