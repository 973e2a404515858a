"""Read commands must not load the heavy machinery that only writes or renders need:
weasyprint (PDF letters), apscheduler (the daemon) and alembic (migrations). Checked in a fresh
interpreter after running each command: a correctness check of the lazy imports, not a timing."""
from __future__ import annotations

import json
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
