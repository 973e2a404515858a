"""The hot path's row types (engine/store/rows.py) write their tables' columns out by hand; the
tables are defined in engine/store/tables.py. These tests keep the two in step: the same column
names, the same kinds (a date column comes back as a date, a bool column as a bool, on SQLite's
text dates and 0/1 too), SELECT lists in the dataclass's order (rows are built by position), and
INSERTs that name every column the database needs. No database: the SQL is read from a stub.

Adding a column to a table fails here until its row type (or, for the two partial rows,
PARTIAL below) says what happens to it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re
import types
import typing

import pytest
from sqlalchemy import Boolean, Date, DateTime, Integer, String, TypeDecorator
from sqlmodel import SQLModel

from ogi.engine.store import rows, tables

ROW_TABLES = [
    (rows.CaseRow, tables.Case),
    (rows.EventRow, tables.HistoryEvent),
    (rows.ApplicantRow, tables.Applicant),
    (rows.ConsultationRow, tables.Consultation),
    (rows.LetterRow, tables.Letter),
]
IDS = [row.__name__ for row, _ in ROW_TABLES]

# Columns a row type leaves out on purpose. Everything else must be a field.
PARTIAL = {
    # name_key is written by rows.insert_applicant and only searched on (applicants_by_name_key)
    "applicant": {"name_key"},
    # LetterRow is the letter list of `ogi case show`; the renderer reads letters through the ORM
    "letter": {"case_id", "family", "year", "seq", "event_id", "attempts", "last_error", "rendered_version"},
}


def field_names(row) -> list[str]:
    return [f.name for f in dataclasses.fields(row)]


def column_kind(col) -> type:
    """date, bool, int or str, from the SQLAlchemy column type (python_type where it says)."""
    t = col.type
    if isinstance(t, TypeDecorator):  # SQLModel's AutoString: a String underneath
        t = t.impl_instance
    if isinstance(t, (Date, DateTime, Boolean, Integer, String)):
        return t.python_type  # DateTime -> datetime, Date -> date; String and Text -> str
    raise AssertionError(f"{col.table.name}.{col.name}: a column type this test does not know ({t!r})")


def field_kind(hint) -> tuple[type, bool]:
    """(type, optional) of an annotation such as `dt.date | None`."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        assert len(args) == 1, hint
        return args[0], True
    return hint, False


@pytest.mark.parametrize("row, model", ROW_TABLES, ids=IDS)
def test_row_fields_are_the_table_columns(row, model):
    table = model.__table__
    columns = list(table.columns.keys())
    left_out = PARTIAL.get(table.name, set())
    assert left_out <= set(columns), f"PARTIAL names columns {table.name} no longer has"
    assert set(field_names(row)) == set(columns) - left_out, (
        f"{row.__name__} and the {table.name} table differ: fields without a column "
        f"{sorted(set(field_names(row)) - set(columns))}, columns without a field "
        f"{sorted(set(columns) - left_out - set(field_names(row)))} (add them to rows.py, "
        "or to PARTIAL here if the row leaves them out on purpose)")


@pytest.mark.parametrize("row, model", ROW_TABLES, ids=IDS)
def test_row_field_kinds_are_the_column_kinds(row, model):
    hints = typing.get_type_hints(row, vars(rows))
    for name in field_names(row):
        col = model.__table__.columns[name]
        kind, optional = field_kind(hints[name])
        assert kind is column_kind(col), f"{row.__name__}.{name}: {hints[name]} for a {col.type} column"
        assert optional == col.nullable, f"{row.__name__}.{name}: {hints[name]}, column nullable={col.nullable}"


# --------------------------------------------------------------------------- the SQL rows.py runs

SQLITE_VALUE = {dt.date: "2026-09-24", bool: 1, int: 7, str: "x"}  # as SQLite returns them


class StubDb:
    """Answers every SELECT with one row of SQLite-style values for the columns it names, and
    records the SQL."""

    sqlite = True

    def __init__(self):
        self.selects: list[tuple[str, list[str]]] = []
        self.inserts: list[tuple[str, list[str]]] = []

    def _row(self, sql: str) -> tuple:
        m = re.match(r"SELECT (.+?) FROM (\w+)", sql, re.S)
        assert m, sql
        names, table = [c.strip() for c in m.group(1).split(",")], m.group(2)
        self.selects.append((table, names))
        cols = SQLModel.metadata.tables[table].columns
        return tuple(SQLITE_VALUE[column_kind(cols[n])] for n in names)

    def one(self, sql, params=()):
        return self._row(sql)

    def all(self, sql, params=()):
        return [self._row(sql)]

    def insert(self, sql, params):
        m = re.match(r"INSERT INTO (\w+) \((.+?)\) VALUES", sql, re.S)
        assert m, sql
        self.inserts.append((m.group(1), [c.strip() for c in m.group(2).split(",")]))
        return 1

    def for_update(self):
        return ""


READERS = {
    rows.CaseRow: lambda db: rows.case_by_id(db, 1),
    rows.EventRow: lambda db: rows.case_events(db, 1)[0],
    rows.ApplicantRow: lambda db: rows.applicant(db, 1),
    rows.ConsultationRow: lambda db: rows.consultations(db, 1)[0],
    rows.LetterRow: lambda db: rows.letters(db, 1)[0],
}


@pytest.mark.parametrize("row, model", ROW_TABLES, ids=IDS)
def test_reads_select_the_fields_in_order_and_convert_kinds(row, model):
    db = StubDb()
    got = READERS[row](db)
    [(table, selected)] = db.selects
    assert table == model.__table__.name
    assert selected == field_names(row), "the SELECT list must follow the dataclass (rows are built by position)"
    for name in field_names(row):
        kind = column_kind(model.__table__.columns[name])
        value = getattr(got, name)
        assert type(value) is kind, f"{row.__name__}.{name} read as {value!r} from SQLite, expected a {kind.__name__}"


def _writes(db: StubDb) -> None:
    day = dt.date(2026, 9, 24)
    case = rows.CaseRow(*(SQLITE_VALUE[column_kind(tables.Case.__table__.columns[n])] for n in field_names(rows.CaseRow)))
    ev = rows.EventRow(*(SQLITE_VALUE[column_kind(tables.HistoryEvent.__table__.columns[n])]
                         for n in field_names(rows.EventRow)))
    rows.insert_applicant(db, name="张三", kind="natural", id_number="", phone="", email="", address="",
                          electronic_consent=False)
    rows.insert_case(db, case)
    rows.insert_event(db, ev)
    rows.insert_letter(db, case_id=1, kind="receipt", family="收", year=2026, seq=1, number="x", event_id=1,
                       issued_on=day)
    rows.insert_consultation(db, case_id=1, kind="third_party", party="x", sent_on=day, due_on=day)


def test_inserts_name_every_column_the_database_needs():
    """A plain INSERT gets no Python-side default: every NOT NULL column without a server
    default must be named."""
    db = StubDb()
    _writes(db)
    assert {t for t, _ in db.inserts} == {"applicant", "cases", "history_event", "letter", "consultation"}
    for table, named in db.inserts:
        cols = SQLModel.metadata.tables[table].columns
        assert set(named) <= set(cols.keys()), f"INSERT INTO {table} names unknown columns"
        needed = {c.name for c in cols if not c.nullable and c.server_default is None and not c.primary_key}
        assert needed <= set(named), f"INSERT INTO {table} leaves out NOT NULL columns {sorted(needed - set(named))}"
