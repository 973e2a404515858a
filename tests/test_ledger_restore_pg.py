"""`ogi restore postgresql://…/staging [--checkpoint CP] [--yes]` on a PostgreSQL instance: the DBA
pg_restores a pg_dump into a NEW staging database; ogi checks that database (an ogi database,
chains intact, its log intact and extending the newest checkpoint: the file given, else the newest
one the live database recorded) and with --yes records the restore there (the `restore` leaf).
A refused staging database changes nothing in either database; ogi never switches databases.

Real PostgreSQL: a per-test instance schema (conftest) and scratch databases made here."""
from __future__ import annotations

import json
import secrets
import shutil
import subprocess
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from conftest import PG_BASE, _make_instance, _drop, require_postgres
from legal_support import no_letters, register, sql, step



def _admin_exec(*statements: str) -> None:
    eng = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as c:
            for st in statements:
                c.execute(text(st))
    finally:
        eng.dispose()


@pytest.fixture
def pg(tmp_path, monkeypatch, capsys):
    require_postgres()
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not installed")
    inst, schema = _make_instance(tmp_path, monkeypatch, capsys, "postgres")
    no_letters(monkeypatch)
    inst.ok("audit", "key", user="admin")
    inst.schema = schema
    made: list[str] = []

    def scratch() -> str:
        name = "ogi_stage_" + secrets.token_hex(5)
        _admin_exec(f"CREATE DATABASE {name}")
        made.append(name)
        return name

    inst.scratch, inst.made = scratch, made
    yield inst
    from ogi.engine.store.db import dispose_engines

    dispose_engines()
    _drop(schema, inst.url)
    for name in made:
        _admin_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def libpq(url: str, db: str | None = None, schema: str | None = None) -> str:
    parts = urlsplit(url.replace("postgresql+psycopg://", "postgresql://"))
    path = f"/{db}" if db else parts.path
    query = f"?options=-csearch_path%3D{schema}" if schema else ""
    return f"postgresql://{parts.netloc}{path}{query}"


def dump_into_staging(inst, tmp_path) -> str:
    """pg_dump of the instance's schema, pg_restore into a new database: the staging URL."""
    dump = tmp_path / f"ogi-{secrets.token_hex(3)}.dump"
    subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--schema={inst.schema}", "--file", str(dump),
                    libpq(inst.url)], check=True, capture_output=True)
    name = inst.scratch()
    done = subprocess.run(["pg_restore", "--no-owner", "--dbname", libpq(inst.url, name), str(dump)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return libpq(inst.url, name, inst.schema)


def counts(url: str) -> tuple:
    eng = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with eng.connect() as c:
            return tuple(c.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                         for t in ("cases", "history_event", "ledger_leaf", "ledger_checkpoint", "counter"))
    finally:
        eng.dispose()


def refused(inst, *args) -> str:
    r = inst("restore", *args, user="admin")
    assert r.exit_code == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert any("\u4e00" <= ch <= "\u9fff" for ch in r.stderr), r.stderr
    return r.stderr


@pytest.mark.postgres
def test_good_staging_is_checked_then_recorded(pg, tmp_path, monkeypatch):
    """The recipe `ogi backup` prints, run as printed (password masked), then ogi restore URL."""
    a = register(pg, "2026-09-24")
    step(pg, a, "accept", "2026-09-25")
    cp = tmp_path / "cp.txt"
    pg.ok("audit", "checkpoint", "--out", str(cp), user="zhao")
    step(pg, a, "propose", "2026-10-09", outcome="disclose")
    secret = pg.url.replace("postgres@", "postgres:s3cret-pw@")  # trust auth ignores it
    monkeypatch.setenv("OGI_DATABASE_URL", secret)
    dump = tmp_path / "ogi.dump"
    r = pg.ok("backup", "--out", str(dump), "--json", user="admin")
    rj = r.json
    assert not rj["ran"] and "s3cret-pw" not in r.stdout and "postgres:***@" in r.stdout
    dump_cmd, createdb_cmd, restore_cmd = (line.replace("***", "x") for line in rj["recipe"][:3])
    assert createdb_cmd.startswith("createdb") and restore_cmd.startswith("pg_restore")
    staging = rj["staging"]
    name = urlsplit(staging).path.lstrip("/")
    assert name in createdb_cmd and name in restore_cmd and "s3cret-pw" not in staging
    try:
        for cmd in (dump_cmd, createdb_cmd, restore_cmd):
            done = subprocess.run(cmd, shell=True, capture_output=True, text=True)
            assert done.returncode == 0, (cmd, done.stderr[-2000:])
    finally:
        pg.made.append(name)
    live_before, staging_before = counts(pg.url), counts(staging)

    # `ogi restore DUMP` (no URL): the same recipe, pg_restore into a new staging database.
    r = pg.ok("restore", str(dump), "--json", user="admin")
    assert not r.json["ran"] and any(line.startswith("pg_restore") for line in r.json["recipe"])
    assert any(line.startswith("ogi restore") for line in r.json["recipe"]) and "s3cret-pw" not in r.stdout

    # Preview: checked, nothing written anywhere; a password in the URL is never shown.
    err = refused(pg, staging.replace("postgres@", "postgres:s3cret-pw@"), "--checkpoint", str(cp))
    assert "核验通过" in err and "日志延续检查点" in err and "s3cret-pw" not in err
    assert counts(pg.url) == live_before and counts(staging) == staging_before

    r = pg.ok("restore", staging, "--yes", "--json", user="admin")
    j = r.json
    assert j["restored"] and j["backend"] == "postgresql" and j["checkpoint"]["source"] == "database"
    assert j["restore_leaf"]["idx"] == j["log"]["size"] == staging_before[2]
    assert any("ogi init" in s for s in j["next_steps"])
    assert counts(pg.url) == live_before                       # the live database is untouched
    eng = create_engine(staging.replace("postgresql://", "postgresql+psycopg://"))
    with eng.connect() as c:
        kind, body = c.execute(text("SELECT kind, body FROM ledger_leaf ORDER BY idx DESC LIMIT 1")).one()
    eng.dispose()
    body = json.loads(body)
    assert kind == "restore" and body["actor"] == "admin" and body["size"] == staging_before[2]
    assert body["checkpoint"]["size"] < body["size"]

    # The DBA switches to the staging database; ogi init, then the audit verifies (also against cp).
    from ogi.engine.store.db import dispose_engines

    dispose_engines()
    monkeypatch.setenv("OGI_DATABASE_URL", staging)
    pg.ok("init", user="admin")
    v = pg("audit", "verify", "--checkpoint", str(cp), "--json", user="zhao")
    assert v.exit_code == 0 and v.json["ok"], v.stdout
    dispose_engines()


@pytest.mark.postgres
def test_truncated_staging_is_refused_and_nothing_changes(pg, tmp_path):
    a = register(pg, "2026-09-24")
    step(pg, a, "accept", "2026-09-25")
    b = register(pg, "2026-09-25", "李四")
    step(pg, b, "accept", "2026-09-28")
    cp = tmp_path / "cp.txt"
    pg.ok("audit", "checkpoint", "--out", str(cp), user="zhao")
    staging = dump_into_staging(pg, tmp_path)
    # Someone rewrites the staging log: the last two leaves go (triggers disabled, as superuser).
    eng = create_engine(staging.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as c:
        c.execute(text("SET session_replication_role = replica"))
        top = c.execute(text("SELECT MAX(idx) FROM ledger_leaf")).scalar_one()
        c.execute(text("DELETE FROM ledger_leaf WHERE idx >= :i"), {"i": top - 1})
    eng.dispose()
    live_before, staging_before = counts(pg.url), counts(staging)

    err = refused(pg, staging, "--yes")
    assert "拒绝恢复" in err and "备份早于检查点" in err and "当前数据库中最新的检查点" in err
    err = refused(pg, staging, "--yes", "--checkpoint", str(cp))
    assert "备份早于检查点" in err and "检查点文件" in err
    assert "备份早于检查点" in refused(pg, staging)
    r = pg("restore", staging, "--yes", "--json", user="admin")
    assert r.exit_code == 1 and json.loads(r.stdout)["ok"] is False
    assert counts(pg.url) == live_before and counts(staging) == staging_before

    # A rewritten leaf inside the checkpoint's range (same count): the root does not match.
    staging2 = dump_into_staging(pg, tmp_path)
    eng = create_engine(staging2.replace("postgresql://", "postgresql+psycopg://"))
    with eng.begin() as c:
        c.execute(text("SET session_replication_role = replica"))
        c.execute(text("UPDATE ledger_leaf SET leaf_hash = :h WHERE idx = 1"), {"h": "ab" * 32})
    eng.dispose()
    before2 = counts(staging2)
    assert "与检查点的根哈希不符" in refused(pg, staging2, "--yes", "--checkpoint", str(cp))
    assert counts(pg.url) == live_before and counts(staging2) == before2


@pytest.mark.postgres
def test_unreachable_foreign_and_live_urls(pg, tmp_path):
    register(pg, "2026-09-24")
    before = counts(pg.url)
    parts = urlsplit(libpq(pg.url))
    dead = f"postgresql://{parts.username}@127.0.0.1:1/nowhere"
    assert "无法读取数据库" in refused(pg, dead, "--yes")
    missing = libpq(pg.url, "ogi_no_such_db_" + secrets.token_hex(3))
    assert "无法读取数据库" in refused(pg, missing, "--yes")
    empty = libpq(pg.url, pg.scratch())
    assert "不是 ogi 数据库" in refused(pg, empty, "--yes")
    assert "就是当前数据库本身" in refused(pg, libpq(pg.url, schema=pg.schema), "--yes")
    assert counts(pg.url) == before


def test_a_url_on_a_sqlite_instance_is_refused(ogi_sqlite):
    r = ogi_sqlite("restore", "postgresql://postgres@127.0.0.1:5432/test", "--yes", user="admin")
    assert r.exit_code == 1 and "SQLite" in r.stderr and "Traceback" not in r.stderr
