"""The README's walkthrough runs as written (in the spirit of sqlite-utils' test_docs.py).

The "Using it" block is taken from README.md verbatim and run by bash, line by line with
`set -e`, in a fresh home directory with the installed `ogi` on PATH: a clerk who copies it gets
exactly this. Only the day is fixed (OGI_TODAY), so the dated steps are as old on every run.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
OGI = Path(sys.executable).with_name("ogi")


def using_it_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Using it", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README.md: no ```bash block under '## Using it'"
    return match.group(1)


def test_the_walkthrough_shows_dates_where_they_matter():
    """Every step a clerk dates on paper carries --date (a step without it would be dated today
    and, in the walkthrough's past, make the later dated steps impossible)."""
    undated = [line for line in using_it_block().splitlines()
               if re.match(r"\s*ogi case (accept|request-correction|receive-correction|consult|consultation-reply|"
                           r"propose|decide|approve|deliver|extend|delay|not-handled|fee-notice|fee-paid|withdraw)\b", line)
               and "--date" not in line]
    assert undated == []


@pytest.mark.skipif(not OGI.exists(), reason="the ogi console script is not installed next to this Python")
def test_the_walkthrough_runs_as_written(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OGI_")}
    env.update(HOME=str(tmp_path), PATH=f"{OGI.parent}{os.pathsep}{env.get('PATH', '')}", OGI_TODAY="2026-12-31",
               COLUMNS="80")
    script = "set -euo pipefail\n" + using_it_block()
    run = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"README walkthrough failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "Traceback" not in run.stdout + run.stderr
    # It really reached the end: the answer delivered, its PDF recorded.
    assert "送达" in run.stdout and "2026-0001" in run.stdout
    assert list((tmp_path / "ogi" / "letters" / "2026-0001").glob("*reply*.pdf"))
