"""CLI start-up: wall time of `ogi case show ID` vs `python -c "import sqlite3"`.

    .venv/bin/python bench/bench_cli.py [--runs 15]

Both run as subprocesses, interleaved, N times each; the figure is the ratio of the medians
(target <= 4x). The installed console script `.venv/bin/ogi` is used, on a fresh SQLite
instance holding one case with a few steps and its letters. `ogi case show` takes the fast start (cli_fast.py: sqlite3, no Typer, rich
or SQLAlchemy); the same command on the Typer path (OGI_NO_FAST=1) is timed too. Byte code is
compiled first (`compileall`), as a normal install has it: with PYTHONDONTWRITEBYTECODE set (as
on these machines) every run would otherwise recompile ogi's own modules.

Also printed: the same ratio for `case show --json`, `case list` and `ogi --help` (Typer path);
the cost of the imports alone: the fast path's modules (the floor under `case show`), the CLI
frame (typer, which loads pydantic, and rich) and the database stack (sqlalchemy, sqlmodel and
the engine modules), the floor under every other command; which heavy packages `case show`
loads on each path (weasyprint, apscheduler and alembic must not load on either; nothing of the
frameworks on the fast path); and the biggest imports of the fast path by `python -X importtime`
(cumulative, in ms, of one run).
"""
from __future__ import annotations

import argparse
import compileall
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, header, median  # noqa: E402

VENV_BIN = ROOT / ".venv" / "bin"
PACKAGE_DIRS = ("calendars", "commands", "engine", "states", "letters")
HEAVY = ("weasyprint", "apscheduler", "alembic", "sqlalchemy", "sqlmodel", "pydantic", "typer", "click", "rich",
         "jinja2", "psycopg", "transitions")
FRAMEWORKS = ("sqlalchemy", "sqlmodel", "pydantic", "typer", "click", "rich")
# `ogi case show 1` as the console script runs it (cli.run, which ends with os._exit after the
# atexit handlers): the packages loaded are reported from an atexit handler.
RUN_PROBE = ("import atexit, os, sys\n"
             "atexit.register(lambda: open(os.environ['OGI_PROBE_OUT'], 'w').write("
             f"' '.join(m for m in {HEAVY!r} if m in sys.modules)))\n"
             "sys.argv[0] = 'ogi'\nfrom ogi.cli import run\nrun()\n")


def compile_bytecode() -> None:
    for d in PACKAGE_DIRS:
        compileall.compile_dir(str(ROOT / d), quiet=1, maxlevels=2)
    for f in ("cli.py", "cli_fast.py", "__init__.py"):
        compileall.compile_file(str(ROOT / f), quiet=1)


def wall(cmd: list[str], env: dict) -> float:
    if cmd and isinstance(cmd[-1], dict):  # extra environment for this command
        env, cmd = {**env, **cmd[-1]}, cmd[:-1]
    t = time.perf_counter()
    r = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    dt = time.perf_counter() - t
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed: {r.stderr.decode()}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    header("bench_cli", f"median of {args.runs} subprocess runs each, interleaved")
    compile_bytecode()

    home = Path(tempfile.mkdtemp(prefix="ogi-bench-cli-"))
    env = {**os.environ, "OGI_HOME": str(home), "OGI_USER": "li", "OGI_TODAY": "2026-12-31"}
    for var in ("OGI_DATABASE_URL", "OGI_CONFIG", "OGI_NO_FAST"):
        env.pop(var, None)
    env["OGI_PROBE_OUT"] = str(home / "probe.txt")
    ogi = str(VENV_BIN / "ogi")
    python = str(VENV_BIN / "python")
    try:
        for cmd in (["init", "--training"],
                    ["case", "register", "--applicant", "张三", "--applicant-type", "natural", "--channel",
                     "in_person", "--received", "2026-09-24", "--description", "某道路改造工程立项批复"],
                    ["case", "accept", "1", "--date", "2026-09-25"],
                    ["case", "consult", "1", "--party", "某公司", "--kind", "third_party", "--date", "2026-09-28"]):
            subprocess.run([ogi, *cmd], env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        baseline = [python, "-c", "import sqlite3"]
        typer_path = {"OGI_NO_FAST": "1"}
        commands = {
            "ogi case show 1": [ogi, "case", "show", "1"],
            "ogi case show 1 --json": [ogi, "case", "show", "1", "--json"],
            "  same, Typer path": [ogi, "case", "show", "1", typer_path],
            "ogi case list": [ogi, "case", "list"],
            "ogi --help": [ogi, "--help"],
            # What limits them: the imports alone, ended like ogi ends (no interpreter teardown).
            "  imports: fast path": [python, "-c", "import ogi.cli, ogi.cli_fast, ogi.engine.cases.summary, "
                                     "ogi.commands.render, ogi.commands.errors_out, sqlite3, os; os._exit(0)"],
            "  imports: CLI frame": [python, "-c", "import ogi.cli, typer._adapters, rich.table, os; "
                                     "ogi.cli._app(); os._exit(0)"],
            "  imports: + database stack": [python, "-c", "import ogi.cli, typer._adapters, rich.table, "
                                            "ogi.engine.api, os; ogi.cli._app(); os._exit(0)"],
        }
        for cmd in (baseline, *commands.values()):  # warm the page cache
            wall(cmd, env)
        times: dict[str, list[float]] = {"baseline": [], **{k: [] for k in commands}}
        for _ in range(args.runs):
            for name, cmd in (("baseline", baseline), *commands.items()):
                times[name].append(wall(cmd, env))
        base = median(times["baseline"])
        print()
        label = 'x python -c "import sqlite3"'
        print(f"{'command':<32}{label:>30}")
        for name in commands:
            ratio = median(times[name]) / base
            mark = f"   (target <= 4x: {'met' if ratio <= 4 else 'MISSED'})" if name == "ogi case show 1" else ""
            print(f"{name:<32}{ratio:>29.1f}x{mark}")
        show_ratio = median(times["ogi case show 1"]) / base
        print(f"(this run only: baseline median {base * 1000:.0f} ms)")

        print()
        probe_out = Path(env["OGI_PROBE_OUT"])
        for path_name, extra in (("fast path", {}), ("Typer path", typer_path)):
            subprocess.run([python, "-c", RUN_PROBE, "case", "show", "1"], env={**env, **extra},
                           stdout=subprocess.DEVNULL, check=True)
            loaded = probe_out.read_text().split()
            print(f"packages loaded by `case show`, {path_name}: {' '.join(loaded) or '(none of them)'}")
            for m in ("weasyprint", "apscheduler", "alembic", *(FRAMEWORKS if not extra else ())):
                assert m not in loaded, f"{m} is imported by `ogi case show` ({path_name})"

        imp = subprocess.run([python, "-X", "importtime", "-c", RUN_PROBE, "case", "show", "1"], env=env,
                             capture_output=True, text=True)
        rows = []
        for line in imp.stderr.splitlines():
            m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\s*)(\S+)", line)
            if m and len(m.group(3)) <= 2:  # top-level and first-level imports
                rows.append((int(m.group(2)), len(m.group(3)) // 2, m.group(4)))
        total = sum(us for us, depth, _ in rows if depth == 0)
        print(f"-X importtime, fast path (one run, inflated by the tracing itself): {total / 1000:.0f} ms of imports;"
              " biggest:")
        for us, depth, name in sorted(rows, reverse=True)[:12]:
            print(f"   {us / 1000:7.1f} ms  {'  ' * depth}{name}")
        print(f"RESULT bench_cli show_ratio={show_ratio:.1f}x target=4x {'OK' if show_ratio <= 4 else 'MISSED'}")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
