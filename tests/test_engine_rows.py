"""The plain-SQL layer under the step path (engine/store/rows.py), durability, and the indexed
repeat check at registration."""
from __future__ import annotations

import datetime as dt
import sqlite3

import pytest

from ogi.engine.store import rows
from ogi.errors import ConflictError, NotFound


def test_sqlite_connections_commit_durably(ogi_sqlite):
    """synchronous=FULL (2): a step reported saved survives a power cut, not only a crash."""
    from ogi.engine.store.db import get_engine

    raw = get_engine(ogi_sqlite.url).raw_connection()
    try:
        assert raw.driver_connection.execute("PRAGMA synchronous").fetchone()[0] == 2
        assert raw.driver_connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        raw.close()


def test_rows_round_trip_dates_bools_and_numbers(ogi):
    """The same reads on SQLite (text dates, 0/1) and PostgreSQL (native types, %s placeholders)."""
    from ogi.engine.store.db import read_session

    case = ogi.register("2026-09-24", "张三")
    ogi.ok("case", "accept", str(case["id"]), "--date", "2026-09-25")
    with read_session() as s:
        db = rows.of_session(s)
        by_id = rows.find_case(db, case["id"])
        by_number = rows.find_case(db, case["number"])
        assert by_id == by_number
        assert by_id.received_on == dt.date(2026, 9, 24) and isinstance(by_id.answer_due, dt.date)
        assert by_id.closed is False and by_id.clock_paused is False and by_id.state == "processing"
        events = rows.case_events(db, case["id"])
        assert [e.action for e in events] == ["register", "letter_rendered", "accept"]  # the receipt's PDF
        assert [e.seq for e in events] == [1, 2, 3]
        assert events[2].effective_on == dt.date(2026, 9, 25)
        assert all(b.prev_hash == a.hash for a, b in zip(events, events[1:]))
        assert rows.applicant(db, by_id.applicant_id).name == "张三"
        for ref in ("99999", "2026-9999", "１", "x" * 200, "a\x00b"):
            with pytest.raises(NotFound):
                rows.find_case(db, ref)


def test_a_stale_projection_is_refused(ogi):
    """The optimistic version check: a projection written from an old read does not overwrite."""
    from ogi.engine.store.db import write_db

    case = ogi.register("2026-09-24", "张三")
    with write_db() as db:
        stale = rows.find_case(db, case["id"])
    ogi.ok("case", "accept", str(case["id"]), "--date", "2026-09-25")
    with pytest.raises(ConflictError):
        with write_db() as db:
            stale.state = "registered"
            rows.save_projection(db, stale)
    assert ogi.json("case", "show", str(case["id"]))["state"] == "processing"


def test_a_failed_step_writes_nothing(ogi):
    """write_db rolls back every statement of a refused step (event, projection, numbers)."""
    from ogi.engine.store.db import read_session
    from sqlalchemy import text

    case = ogi.register("2026-09-24", "张三")
    with read_session() as s:
        before = [s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("history_event", "letter", "counter")]
    r = ogi("case", "approve", str(case["id"]), "--date", "2026-09-25", user="wang")
    assert r.exit_code == 1 and "错误" in r.stderr
    with read_session() as s:
        after = [s.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar() for t in ("history_event", "letter", "counter")]
    assert after == before


def test_repeat_warning_finds_the_applicant_by_normalised_name(ogi_sqlite, monkeypatch):
    """"张 三" and "张三" are one applicant for 条例第三十六条第（六）项, through the name index."""
    import ogi.engine.api as api

    monkeypatch.setattr(api, "after_commit", lambda case_id: [])
    ogi = ogi_sqlite
    a = ogi.register("2026-03-02", "张三")
    ref = str(a["id"])
    ogi.ok("case", "accept", ref, "--date", "2026-03-03")
    ogi.ok("case", "propose", ref, "--outcome", "disclose", "--date", "2026-03-10")
    ogi.ok("case", "decide", ref, "--date", "2026-03-11")
    ogi.ok("case", "approve", ref, "--date", "2026-03-12", user="wang")
    ogi.ok("case", "deliver", ref, "--method", "post", "--date", "2026-03-13")
    r = ogi.json("case", "register", "--applicant", "张 三", "--applicant-type", "natural", "--channel", "in_person",
                 "--received", "2026-06-01", "--description", "某道路改造工程立项批复")
    assert len(r["warnings"]) == 1 and a["number"] in r["warnings"][0]
    # The plans of the very statements engine/store/rows.py sends (traced on a real connection).
    con = sqlite3.connect(ogi.home / "ogi.db")
    sent: list[str] = []
    con.set_trace_callback(sent.append)
    db = rows.Db(con, sqlite=True)
    found = rows.applicants_by_name_key(db, "张三", "natural")
    assert len(found) == 2 and len(rows.cases_of_applicants(db, [a.id for a in found])) == 2
    con.set_trace_callback(None)
    plans = [" ".join(str(x) for x in con.execute("EXPLAIN QUERY PLAN " + q)) for q in sent]
    con.close()
    assert "ix_applicant_name_key" in plans[0] and "ix_cases_applicant_id" in plans[1], plans


def test_upgrade_fills_the_name_key_of_existing_applicants(tmp_path, monkeypatch):
    """Migration 0004 on a database made by the previous schema: old applicants get their key."""
    from alembic import command

    from ogi.engine.store.schema import alembic_config

    db = tmp_path / "old.db"
    url = f"sqlite:///{db}"
    cfg = alembic_config(url)
    command.upgrade(cfg, "0003_legal")
    command.upgrade(cfg, "0002_warnings")
    con = sqlite3.connect(db)
    con.execute("INSERT INTO applicant (name, kind, id_number, phone, email, address, electronic_consent) "
                "VALUES ('Ｚhang 三。', 'natural', '', '', '', '', 0)")
    con.commit()
    con.close()
    command.upgrade(cfg, "heads")
    con = sqlite3.connect(db)
    assert con.execute("SELECT name_key FROM applicant").fetchone()[0] == "zhang三"
    con.close()


def test_history_reads_use_the_unique_index_and_the_triggers_survive_migration_0005(ogi_sqlite):
    """After dropping the unused event indexes (0005), a case's history is still read on
    (case_id, seq) and the database still refuses to edit or delete an event."""
    ogi = ogi_sqlite
    case = ogi.register("2026-09-24", "张三")
    con = sqlite3.connect(ogi.home / "ogi.db")
    names = {n for (n,) in con.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'history_event'")}
    assert {"history_event_no_update", "history_event_no_delete"} <= names
    assert not names & {"ix_history_event_hash", "ix_history_event_case_id"}
    sent: list[str] = []
    con.set_trace_callback(sent.append)
    db = rows.Db(con, sqlite=True)
    assert rows.case_events(db, case["id"]) and rows.chain_tip(db, case["id"])[0] >= 1
    con.set_trace_callback(None)
    for statement in sent:
        plan = " ".join(str(x) for x in con.execute("EXPLAIN QUERY PLAN " + statement))
        assert "sqlite_autoindex_history_event_1" in plan and "SCAN" not in plan, plan
    with pytest.raises(sqlite3.DatabaseError):
        con.execute("UPDATE history_event SET actor = 'x'")
    con.close()
