"""Shared bits of the benchmarks: a header naming what ran where, a median helper, and the
throw-away PostgreSQL schemas the benchmarks run in.

Benchmarks print ratios against a baseline measured in the same run: these machines are shared
and noisy, so absolute times are only shown for orientation and never compared across runs.
"""
from __future__ import annotations

import os
import platform
import secrets
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = (os.environ.get("OGI_BENCH_PG") or os.environ.get("OGI_TEST_PG")
           or "postgresql+psycopg://postgres@127.0.0.1:5432/test")


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


def pg_url(schema: str) -> str:
    """The database URL of `schema` on the benchmark server (search_path set per connection)."""
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


def pg_admin(sql: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_BASE)
    try:
        with admin.begin() as c:
            c.execute(text(sql))
    finally:
        admin.dispose()


def create_pg_schema(prefix: str = "ogi_bench_") -> tuple[str, str]:
    """A fresh schema: (its name, its URL)."""
    schema = prefix + secrets.token_hex(5)
    pg_admin(f"CREATE SCHEMA {schema}")
    return schema, pg_url(schema)


def drop_pg_schema(schema: str) -> None:
    pg_admin(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
