"""Shared fixtures: a fresh ogi instance per test on a real SQLite file or a real PostgreSQL
schema, and an in-process CLI runner that returns exit code, stdout, stderr and parsed JSON."""
from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_BASE = os.environ.get("OGI_TEST_PG", f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/test")
FIXED_TODAY = "2026-12-31"  # every dated step in the tests happened on or before this day


def pg_available() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self):
        return json.loads(self.stdout)


class Ogi:
    """Runs `ogi ...` in-process (the same `main()` as the console script)."""

    def __init__(self, capsys, home: Path, url: str):
        self.capsys, self.home, self.url = capsys, home, url

    def __call__(self, *args: str, user: str | None = "li") -> Result:
        from ogi.cli import main

        argv = [str(a) for a in args]
        if user and "--as" not in argv:
            os.environ["OGI_USER"] = user
        self.capsys.readouterr()
        code = main(argv)
        out, err = self.capsys.readouterr()
        return Result(code, out, err)

    def ok(self, *args: str, user: str | None = "li") -> Result:
        r = self(*args, user=user)
        assert r.exit_code == 0, f"ogi {' '.join(map(str, args))} failed: {r.stderr}{r.stdout}"
        return r

    def json(self, *args: str, user: str | None = "li"):
        return self.ok(*args, "--json", user=user).json

    def register(self, received: str = "2026-09-24", name: str = "张三", kind: str = "natural",
                 channel: str = "in_person", *extra: str) -> dict:
        return self.json("case", "register", "--applicant", name, "--applicant-type", kind, "--channel", channel,
                         "--received", received, "--description", "某道路改造工程立项批复", *extra)


def training_config(path: Path) -> Path:
    """The default configuration of a training instance (declared users accepted) at `path`."""
    from ogi.engine.config import TRAINING_CONFIG

    path.write_text(TRAINING_CONFIG, encoding="utf-8")
    return path


def _pg_schema_url() -> tuple[str, str]:
    schema = "ogi_t_" + secrets.token_hex(6)
    return schema, f"{PG_BASE}?options=-csearch_path%3D{schema}"


def require_postgres() -> None:
    """Skip where no PostgreSQL server answers, except in CI (.ci/run sets OGI_REQUIRE_POSTGRES): fail there."""
    if pg_available():
        return
    if os.environ.get("OGI_REQUIRE_POSTGRES"):
        pytest.fail("OGI_REQUIRE_POSTGRES is set but no PostgreSQL server answers on 127.0.0.1:5432")
    pytest.skip("no PostgreSQL server answers on 127.0.0.1:5432")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request) -> str:
    if request.param == "postgres":
        require_postgres()
    return request.param


def _make_instance(tmp_path: Path, monkeypatch, capsys, backend: str):
    home = tmp_path / "ogi-home"
    monkeypatch.setenv("OGI_HOME", str(home))
    monkeypatch.setenv("OGI_TODAY", FIXED_TODAY)
    monkeypatch.setenv("OGI_USER", "li")
    monkeypatch.delenv("OGI_CONFIG", raising=False)
    schema = None
    if backend == "postgres":
        from sqlalchemy import create_engine, text

        schema, url = _pg_schema_url()
        admin = create_engine(PG_BASE)
        with admin.begin() as c:
            c.execute(text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        monkeypatch.setenv("OGI_DATABASE_URL", url)
    else:
        monkeypatch.delenv("OGI_DATABASE_URL", raising=False)
        url = f"sqlite:///{home / 'ogi.db'}"
    ogi = Ogi(capsys, home, url)
    ogi.ok("init", "--training")  # declared users (--as, OGI_USER): the test instance allows them
    return ogi, schema


def _drop(schema: str | None, url: str) -> None:
    from ogi.engine.store.db import get_engine

    try:
        get_engine(url).dispose()
    except Exception:
        pass
    if schema:
        from sqlalchemy import create_engine, text

        admin = create_engine(PG_BASE)
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


@pytest.fixture
def ogi(tmp_path, monkeypatch, capsys, backend):
    """A fresh, initialised instance on each backend (SQLite file and PostgreSQL schema)."""
    inst, schema = _make_instance(tmp_path, monkeypatch, capsys, backend)
    yield inst
    _drop(schema, inst.url)


@pytest.fixture
def ogi_sqlite(tmp_path, monkeypatch, capsys):
    """A fresh instance on SQLite only (for tests about the CLI surface, not storage)."""
    inst, schema = _make_instance(tmp_path, monkeypatch, capsys, "sqlite")
    yield inst
    _drop(schema, inst.url)


@pytest.fixture(scope="session")
def calendar():
    from ogi.calendars import WorkCalendar, bundled_years

    return WorkCalendar(bundled_years())


@pytest.fixture
def inst(backend):
    """A throwaway instance for tests that drive `ogi` in real subprocesses (reliability tests)."""
    from reliability_support import Instance

    i = Instance.create(backend)
    yield i
    i.close()
