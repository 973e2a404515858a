"""Read commands must not load the heavy machinery that only writes or renders need:
weasyprint (PDF letters), apscheduler (the daemon) and alembic (migrations); and `ogi case show`
through the console entry point (cli.run, which takes cli_fast's path) loads not even the CLI
and database frameworks: no Typer, click, pydantic, rich, SQLAlchemy or SQLModel. Checked in a
fresh interpreter after running each command: a correctness check of the lazy imports, not a
timing."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("weasyprint", "apscheduler", "alembic")
PROBE = """
import contextlib, io, json, sys
from ogi.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted({m.split(".")[0] for m in sys.modules})}))
"""

READ_COMMANDS = [
    ("case", "show", "1"),
    ("case", "show", "1", "--json"),
    ("case", "list"),
    ("case", "list", "--overdue", "--json"),
    ("case", "explain", "1"),
    ("calendar", "explain", "2026-09-24", "20"),
    ("--help",),
]


@pytest.fixture
def instance(ogi_sqlite):
    ogi_sqlite.register("2026-09-24")
    ogi_sqlite.ok("case", "accept", "1", "--date", "2026-09-25")
    return ogi_sqlite


@pytest.mark.parametrize("argv", READ_COMMANDS, ids=" ".join)
def test_read_commands_do_not_import_heavy_packages(instance, argv):
    r = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    result = json.loads(r.stdout.strip().splitlines()[-1])
    assert result["code"] == 0, result
    loaded = [m for m in HEAVY if m in result["loaded"]]
    assert not loaded, f"`ogi {' '.join(argv)}` imported {loaded}"


# `ogi case show` as the console script runs it: cli.run() ends the process with os._exit after
# running the atexit handlers, so the probe reports from one.
RUN_PROBE = """
import atexit, json, os, sys

def report():
    with open(os.environ["OGI_PROBE_OUT"], "w") as fh:
        json.dump(sorted({m.split(".")[0] for m in sys.modules}), fh)

atexit.register(report)
sys.argv[0] = "ogi"
from ogi.cli import run
run()
"""
FAST_FORBIDDEN = (*HEAVY, "sqlalchemy", "sqlmodel", "pydantic", "typer", "click", "rich", "jinja2", "psycopg")


@pytest.mark.parametrize("argv, code", [
    (("case", "show", "1"), 0),
    (("case", "show", "1", "--json"), 0),
    (("case", "show", "--as=wang", "2026-0001"), 0),
    (("case", "show", "99"), 1),
    (("case", "show", "1", "--as", "nobody", "--json"), 1),
], ids=lambda v: " ".join(v) if isinstance(v, tuple) else str(v))
def test_case_show_console_script_loads_no_framework(instance, tmp_path, argv, code):
    out = tmp_path / "loaded.json"
    r = subprocess.run([sys.executable, "-c", RUN_PROBE, *argv], capture_output=True, text=True, timeout=120,
                       env={**{k: v for k, v in os.environ.items() if k != "OGI_NO_FAST"}, "OGI_PROBE_OUT": str(out)})
    assert r.returncode == code, r.stderr
    assert (r.stdout if code == 0 else r.stderr).strip()
    loaded = [m for m in FAST_FORBIDDEN if m in json.loads(out.read_text())]
    assert not loaded, f"`ogi {' '.join(argv)}` imported {loaded}"
