"""Plain SQL for the paths a clerk waits on: a step's transaction and `ogi case show`.

The tables are defined in engine/store/tables.py (migrated by Alembic); this module reads and
writes them through the DBAPI connection itself (sqlite3 or psycopg) instead of the ORM: a step
through the ORM's unit of work cost ~3 ms of Python, ten times its SQL. The same functions serve
a connection borrowed from a SQLAlchemy session (`of_session`, inside that session's
transaction) and a bare sqlite3 connection (`ogi case show`'s fast start, cli_fast.py), so no
query exists twice. This module imports neither SQLAlchemy nor SQLModel.

Values as SQLAlchemy stores them: on SQLite a Date is 'YYYY-MM-DD' text and a bool is 0/1; on
PostgreSQL both are native. Rows come back as small dataclasses with the tables' column names,
written out by hand here: tests/test_store_rows_match_tables.py checks them against tables.py
(names and kinds), so a column added there fails the test until the row type follows.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, fields
from typing import Any, Sequence

from ...errors import ConflictError, NotFound


class Db:
    """One DBAPI connection in a transaction someone else begins and ends.

    SQL is written with `?` placeholders (sqlite3's style) and translated once per statement
    for psycopg (`%s`); no statement here contains a literal `?` or `%`.
    """

    __slots__ = ("raw", "sqlite", "_cur")

    def __init__(self, raw, *, sqlite: bool):
        self.raw, self.sqlite = raw, sqlite
        self._cur = raw.cursor()

    def _sql(self, sql: str) -> str:
        if self.sqlite:
            return sql
        pg = _PG_SQL.get(sql)
        if pg is None:
            pg = _PG_SQL[sql] = sql.replace("?", "%s")
        return pg

    def _params(self, params: Sequence) -> Sequence:
        if not self.sqlite:
            return params
        # sqlite3's own date adapter is deprecated (3.12); store what SQLAlchemy stores.
        return [p.isoformat() if isinstance(p, dt.date) else p for p in params]

    def all(self, sql: str, params: Sequence = ()) -> list[tuple]:
        cur = self._cur
        cur.execute(self._sql(sql), self._params(params))
        return cur.fetchall()

    def one(self, sql: str, params: Sequence = ()) -> tuple | None:
        cur = self._cur
        cur.execute(self._sql(sql), self._params(params))
        return cur.fetchone()

    def run(self, sql: str, params: Sequence = ()) -> int:
        cur = self._cur
        cur.execute(self._sql(sql), self._params(params))
        return cur.rowcount

    def insert(self, sql: str, params: Sequence) -> int:
        """An INSERT into a table with an integer `id`: the new id."""
        cur = self._cur
        if self.sqlite:
            cur.execute(self._sql(sql), self._params(params))
            return cur.lastrowid
        cur.execute(self._sql(sql) + " RETURNING id", params)
        return cur.fetchone()[0]

    def for_update(self) -> str:
        # SQLite has no row locks: its writers already hold the database (BEGIN IMMEDIATE).
        return "" if self.sqlite else " FOR UPDATE"


_PG_SQL: dict[str, str] = {}


def of_session(session) -> Db:
    """The DBAPI connection of a SQLAlchemy session, inside the session's transaction (a Db, as
    db.write_db yields, is returned as it is)."""
    if isinstance(session, Db):
        return session
    conn = session.connection()  # begins the transaction (BEGIN IMMEDIATE for writers on SQLite)
    db = conn.info.get("ogi_db")
    raw = conn.connection.driver_connection
    if db is None or db.raw is not raw:
        db = conn.info["ogi_db"] = Db(raw, sqlite=conn.dialect.name == "sqlite")
    return db


def as_date(v) -> dt.date | None:
    if v is None or isinstance(v, dt.date):
        return v
    return dt.date.fromisoformat(v)


# --------------------------------------------------------------------------- rows

@dataclass(slots=True)
class CaseRow:
    id: int
    number: str
    applicant_id: int
    channel: str
    submitted_on: dt.date
    received_on: dt.date
    description: str
    requested_form: str
    clerk: str
    state: str
    closed: bool
    outcome: str | None
    proposed_by: str | None
    closed_on: dt.date | None
    delivered_on: dt.date | None
    delivery_method: str | None
    answer_due: dt.date | None
    next_due: dt.date | None
    next_clock: str | None
    clock_paused: bool
    provisional: bool
    created_at: str
    version: int


_CASE_COLS = ", ".join(f.name for f in fields(CaseRow))
_CASE_DATES = [i for i, f in enumerate(fields(CaseRow)) if f.name.endswith("_on") or f.name.endswith("_due")]
_CASE_BOOLS = [i for i, f in enumerate(fields(CaseRow)) if f.name in ("closed", "clock_paused", "provisional")]


def _case(row: tuple) -> CaseRow:
    v = list(row)
    for i in _CASE_DATES:
        v[i] = as_date(v[i])
    for i in _CASE_BOOLS:
        v[i] = bool(v[i])
    return CaseRow(*v)


@dataclass(slots=True)
class EventRow:
    id: int
    case_id: int
    seq: int
    recorded_at: str
    actor: str
    action: str
    effective_on: dt.date | None
    reason: str
    data: str
    prev_hash: str
    hash: str
    actor_auth: str = ""  # how the actor was authenticated (identity.PEER, OS_LOGIN, DECLARED, SYSTEM)


_EVENT_COLS = ", ".join(f.name for f in fields(EventRow))


def _event(row: tuple) -> EventRow:
    return EventRow(*row[:6], as_date(row[6]), *row[7:])


@dataclass(slots=True)
class ApplicantRow:
    id: int
    name: str
    kind: str
    id_number: str
    phone: str
    email: str
    address: str
    electronic_consent: bool


@dataclass(slots=True)
class ConsultationRow:
    id: int
    case_id: int
    kind: str
    party: str
    sent_on: dt.date
    due_on: dt.date
    replied_on: dt.date | None
    lapsed_on: dt.date | None
    opinion: str | None
    reason: str


@dataclass(slots=True)
class LetterRow:
    id: int
    kind: str
    number: str
    issued_on: dt.date
    status: str
    path: str
    sha256: str


# --------------------------------------------------------------------------- reads

# A case number as a clerk types it: the year, a hyphen and the sequence, zero-padded or not.
_SHORT_NUMBER = re.compile(r"([0-9]{4})-([0-9]{1,18})")


def case_ref(ref: str | int) -> tuple[str, Any] | None:
    """("id", n) for ASCII digits in the integer column's range, ("number", s) for a printable
    case number, None for anything that cannot name a case ("１", 30 digits, control characters).
    "2026-8" and "2026-00008" name case 2026-0008 (numbers are YYYY-NNNN, steps.register); the
    one parser of `ogi case show`'s fast start (cli_fast.py) and of every other command."""
    s = str(ref).strip()
    if s.isascii() and s.isdigit() and len(s) <= 18:
        return "id", int(s)
    m = _SHORT_NUMBER.fullmatch(s)
    if m:
        return "number", f"{m[1]}-{int(m[2]):04d}"
    if s.isprintable() and len(s) <= 100:
        return "number", s
    return None


def not_found(ref: str | int) -> NotFound:
    s = str(ref).strip()
    shown = "".join(c if c.isprintable() else "?" for c in s[:40]) + ("…" if len(s) > 40 else "")
    return NotFound(f"没有找到案件“{shown}”：请用“ogi case list”查看案件编号")


def find_case(db: Db, ref: str | int, *, for_update: bool = False) -> CaseRow:
    """By id (digits) or by case number; NotFound with a hint otherwise."""
    key = case_ref(ref)
    row = None
    if key is not None:
        lock = db.for_update() if for_update else ""
        row = db.one(f"SELECT {_CASE_COLS} FROM cases WHERE {key[0]} = ?{lock}", (key[1],))
    if row is None:
        raise not_found(ref)
    return _case(row)


def case_by_id(db: Db, case_id: int) -> CaseRow | None:
    row = db.one(f"SELECT {_CASE_COLS} FROM cases WHERE id = ?", (case_id,))
    return _case(row) if row else None


def lock_case(db: Db, case_id: int) -> None:
    """Serialise with the steps of this case (PostgreSQL row lock; SQLite holds the database)."""
    db.one(f"SELECT id FROM cases WHERE id = ?{db.for_update()}", (case_id,))


def case_events(db: Db, case_id: int) -> list[EventRow]:
    return [_event(r) for r in db.all(f"SELECT {_EVENT_COLS} FROM history_event WHERE case_id = ? ORDER BY seq",
                                       (case_id,))]


def chain_tip(db: Db, case_id: int) -> tuple[int, str] | None:
    return db.one("SELECT seq, hash FROM history_event WHERE case_id = ? ORDER BY seq DESC LIMIT 1", (case_id,))


_APPLICANT_COLS = ", ".join(f.name for f in fields(ApplicantRow))


def _applicant(row: tuple) -> ApplicantRow:
    return ApplicantRow(*row[:7], bool(row[7]))  # electronic_consent: 0/1 on SQLite


def applicant(db: Db, applicant_id: int) -> ApplicantRow | None:
    row = db.one(f"SELECT {_APPLICANT_COLS} FROM applicant WHERE id = ?", (applicant_id,))
    return _applicant(row) if row else None


def applicants_by_name_key(db: Db, name_key: str, kind: str) -> list[ApplicantRow]:
    return [_applicant(r) for r in db.all(f"SELECT {_APPLICANT_COLS} FROM applicant WHERE name_key = ? AND kind = ?",
                                          (name_key, kind))]


def cases_of_applicants(db: Db, applicant_ids: list[int]) -> list[CaseRow]:
    """On ix_cases_applicant_id (callers filter the state: in SQL, SQLite may prefer
    ix_cases_state and walk every case in that state)."""
    if not applicant_ids:
        return []
    marks = ", ".join("?" * len(applicant_ids))
    return [_case(r) for r in db.all(f"SELECT {_CASE_COLS} FROM cases WHERE applicant_id IN ({marks})",
                                     applicant_ids)]


def consultations(db: Db, case_id: int) -> list[ConsultationRow]:
    out = []
    for r in db.all("SELECT id, case_id, kind, party, sent_on, due_on, replied_on, lapsed_on, opinion, reason "
                    "FROM consultation WHERE case_id = ? ORDER BY id", (case_id,)):
        out.append(ConsultationRow(r[0], r[1], r[2], r[3], as_date(r[4]), as_date(r[5]), as_date(r[6]),
                                   as_date(r[7]), r[8], r[9]))
    return out


def letters(db: Db, case_id: int) -> list[LetterRow]:
    return [LetterRow(r[0], r[1], r[2], as_date(r[3]), r[4], r[5], r[6]) for r in
            db.all("SELECT id, kind, number, issued_on, status, path, sha256 FROM letter "
                   "WHERE case_id = ? ORDER BY id", (case_id,))]


def calendar_sources(db: Db) -> list[tuple[int, str]]:
    return db.all("SELECT year, source FROM calendar_year ORDER BY year")


# --------------------------------------------------------------------------- writes

def insert_applicant(db: Db, *, name: str, kind: str, id_number: str, phone: str, email: str, address: str,
                     electronic_consent: bool) -> int:
    from .keys import normalise  # applicant.name_key

    return db.insert("INSERT INTO applicant (name, name_key, kind, id_number, phone, email, address, "
                     "electronic_consent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (name, normalise(name), kind, id_number, phone, email, address, electronic_consent))


def update_applicant_contact(db: Db, applicant_id: int, contact: dict[str, str]) -> None:
    """The cached contact columns (address, phone, email) after a 更正联系方式 step."""
    cols = [k for k in ("address", "phone", "email") if k in contact]
    if cols:
        db.run(f"UPDATE applicant SET {', '.join(f'{c} = ?' for c in cols)} WHERE id = ?",
               [*(contact[c] for c in cols), applicant_id])


def set_applicant_consent(db: Db, applicant_id: int, consent: bool) -> None:
    """The cached consent to electronic delivery after a consent step (国办公开办函〔2016〕235号)."""
    db.run("UPDATE applicant SET electronic_consent = ? WHERE id = ?", (bool(consent), applicant_id))


def insert_case(db: Db, case: CaseRow) -> int:
    names = [f.name for f in fields(CaseRow) if f.name != "id"]
    values = [getattr(case, n) for n in names]
    case.id = db.insert(f"INSERT INTO cases ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", values)
    return case.id


_PROJECTION = ("state", "closed", "outcome", "proposed_by", "closed_on", "delivered_on", "delivery_method",
               "answer_due", "next_due", "next_clock", "clock_paused", "provisional")
_UPDATE_CASE = (f"UPDATE cases SET {', '.join(f'{c} = ?' for c in _PROJECTION)}, version = ? "
                "WHERE id = ? AND version = ?")


def save_projection(db: Db, case: CaseRow) -> None:
    """The projection and cached clocks of a case row, with the optimistic version check: every
    step writes the case row here (the ORM never updates it in ogi's own code)."""
    n = db.run(_UPDATE_CASE, [*(getattr(case, c) for c in _PROJECTION), case.version + 1, case.id, case.version])
    if n != 1:
        raise ConflictError("该案件刚被其他人修改，本次操作未保存：请用“ogi case show”查看最新情况后重试")
    case.version += 1


def insert_event(db: Db, ev: EventRow) -> int:
    ev.id = db.insert("INSERT INTO history_event (case_id, seq, recorded_at, actor, action, effective_on, reason, "
                      "data, prev_hash, hash, actor_auth) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      (ev.case_id, ev.seq, ev.recorded_at, ev.actor, ev.action, ev.effective_on, ev.reason,
                       ev.data, ev.prev_hash, ev.hash, ev.actor_auth))
    return ev.id


_NEXT_VALUE = ("INSERT INTO counter (scope, year, value) VALUES (?, ?, 1) "
               "ON CONFLICT (scope, year) DO UPDATE SET value = counter.value + 1 RETURNING value")


def next_value(db: Db, scope: str, year: int) -> int:
    # One upsert (SQLite 3.35+, PostgreSQL 9.5+): the row lock of the update serialises writers,
    # and a rolled-back step gives its number back, so numbers never have gaps.
    return db.one(_NEXT_VALUE, (scope, year))[0]


def insert_letter(db: Db, *, case_id: int, kind: str, family: str, year: int, seq: int, number: str,
                  event_id: int, issued_on: dt.date) -> int:
    return db.insert("INSERT INTO letter (case_id, kind, family, year, seq, number, event_id, issued_on, status, "
                     "attempts, last_error, path, sha256, rendered_version) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, '', '', '', 0)",
                     (case_id, kind, family, year, seq, number, event_id, issued_on))


def insert_consultation(db: Db, *, case_id: int, kind: str, party: str, sent_on: dt.date, due_on: dt.date) -> int:
    return db.insert("INSERT INTO consultation (case_id, kind, party, sent_on, due_on, reason) "
                     "VALUES (?, ?, ?, ?, ?, '')", (case_id, kind, party, sent_on, due_on))


def record_consultation_reply(db: Db, consultation_id: int, on: dt.date, opinion: str | None, reason: str) -> None:
    db.run("UPDATE consultation SET replied_on = ?, opinion = ?, reason = ? WHERE id = ?",
           (on, opinion, reason, consultation_id))


def record_consultation_lapse(db: Db, consultation_id: int, on: dt.date) -> None:
    db.run("UPDATE consultation SET lapsed_on = ? WHERE id = ?", (on, consultation_id))


def set_consultation_due(db: Db, consultation_id: int, due: dt.date) -> None:
    db.run("UPDATE consultation SET due_on = ? WHERE id = ?", (due, consultation_id))


def third_party_objected(db: Db, case_id: int) -> bool:
    return db.one("SELECT 1 FROM consultation WHERE case_id = ? AND kind = 'third_party' AND opinion = 'object' "
                  "LIMIT 1", (case_id,)) is not None


def count_applications_up_to(db: Db, applicant_ids: list[int], since: dt.date, received_on: dt.date,
                             case_id: int) -> int:
    """Cases of these applicants received from `since` up to and including the case
    (received_on, case_id), in (received_on, id) order: the n-th application for 按件 fees."""
    if not applicant_ids:
        return 0
    marks = ", ".join("?" * len(applicant_ids))
    return db.one(f"SELECT COUNT(*) FROM cases WHERE applicant_id IN ({marks}) AND received_on >= ? "
                  "AND (received_on < ? OR (received_on = ? AND id <= ?))",
                  [*applicant_ids, since, received_on, received_on, case_id])[0]


# --------------------------------------------------------------------------- the agency's log (engine/ledger/store.py)

def insert_leaf(db: Db, idx: int, kind: str, ref: int, leaf_hash: str, body: str) -> None:
    db.run("INSERT INTO ledger_leaf (idx, kind, ref, leaf_hash, body) VALUES (?, ?, ?, ?, ?)",
           (idx, kind, ref, leaf_hash, body))


_LOCK_COUNTER = ("INSERT INTO counter (scope, year, value) VALUES (?, ?, 0) "
                 "ON CONFLICT (scope, year) DO UPDATE SET value = counter.value RETURNING value")


def lock_counter(db: Db, scope: str, year: int) -> int:
    """Take a counter's row lock without moving it (created at 0 if missing): the writers that
    number through it wait until this transaction ends. Its value."""
    return db.one(_LOCK_COUNTER, (scope, year))[0]


def insert_checkpoint(db: Db, size: int, root: str, note: str, made_at: str, made_by: str) -> int:
    return db.insert("INSERT INTO ledger_checkpoint (size, root, note, made_at, made_by) VALUES (?, ?, ?, ?, ?)",
                     (size, root, note, made_at, made_by))


def case_number(db: Db, case_id: int) -> str | None:
    row = db.one("SELECT number FROM cases WHERE id = ?", (case_id,))
    return row[0] if row else None



# PostgreSQL: the leaf's index (the counter upsert, whose row lock orders the writers until they
# commit), the event and its leaf in one round trip (data-modifying WITH). Executed as written
# (psycopg placeholders), not through Db._sql.
_EVENT_AND_LEAF_PG = ("WITH n AS (INSERT INTO counter (scope, year, value) VALUES ('ledger', 0, 1) "
                      "ON CONFLICT (scope, year) DO UPDATE SET value = counter.value + 1 RETURNING value), "
                      "e AS (INSERT INTO history_event (case_id, seq, recorded_at, actor, action, effective_on, "
                      "reason, data, prev_hash, hash, actor_auth) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) "
                      "RETURNING id) INSERT INTO ledger_leaf (idx, kind, ref, leaf_hash, body) "
                      "SELECT n.value - 1, 'event', e.id, %s, %s FROM n, e RETURNING ref, idx")


def insert_event_and_leaf(db: Db, ev: EventRow, leaf_hash: str, body: str) -> int:
    """A history event and its leaf in the agency's log (kind "event", ref = the event's id, the
    next index of the counter ("ledger", 0)): one round trip on PostgreSQL, three in-process
    statements on SQLite. The leaf's index."""
    if db.sqlite:
        idx = next_value(db, "ledger", 0) - 1
        insert_event(db, ev)
        insert_leaf(db, idx, "event", ev.id, leaf_hash, body)
        return idx
    cur = db._cur
    cur.execute(_EVENT_AND_LEAF_PG, (ev.case_id, ev.seq, ev.recorded_at, ev.actor, ev.action, ev.effective_on,
                                     ev.reason, ev.data, ev.prev_hash, ev.hash, ev.actor_auth, leaf_hash, body))
    ev.id, idx = cur.fetchone()
    return idx


# The newest `config` leaf of the log (engine/ledger/store.py, record_config): the counter row
# ("ledger_config", 0) holds its index + 1, so finding it is two primary-key lookups.
_NEWEST_CONFIG = ("SELECT l.body FROM counter c JOIN ledger_leaf l ON l.idx = c.value - 1 "
                  "WHERE c.scope = 'ledger_config' AND c.year = 0 AND l.kind = 'config'")
_SET_COUNTER = ("INSERT INTO counter (scope, year, value) VALUES (?, ?, ?) "
                "ON CONFLICT (scope, year) DO UPDATE SET value = excluded.value")


def newest_config_body(db: Db) -> str | None:
    row = db.one(_NEWEST_CONFIG)
    return row[0] if row else None


def set_counter(db: Db, scope: str, year: int, value: int) -> None:
    db.run(_SET_COUNTER, (scope, year, value))
