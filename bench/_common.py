"""Shared bits of the benchmarks: a header naming what ran where, and a median helper.

Benchmarks print ratios against a baseline measured in the same run: these machines are shared
and noisy, so absolute times are only shown for orientation and never compared across runs.
"""
from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def header(name: str, what: str) -> None:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        rev = "?"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"== {name}: {what}")
    print(f"   python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cpus, "
          f"load {load:.2f}, base commit {rev or '?'} (+ working tree)")


def median(values) -> float:
    return statistics.median(values)


def python() -> str:
    return sys.executable
