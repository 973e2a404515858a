"""Database tables (SQLModel). The case row is a projection of its history events; clocks are
derived from the events and cached here only as indexed columns for lists and the sweep."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Column, Integer, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

# SQLAlchemy's optimistic lock: a module-level Column object (the string form raises in SQLModel).
case_version_col = Column("version", Integer, nullable=False, default=1)


class Applicant(SQLModel, table=True):
    __tablename__ = "applicant"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    name_key: str = Field(default="", index=True)  # engine.repeated.normalise(name): repeat lookups
    kind: str  # natural | commercial | research | public_interest | legal_service | other
    id_number: str = ""  # 身份证明 (条例第二十九条); masked in listings
    phone: str = ""
    email: str = ""
    address: str = ""
    electronic_consent: bool = False  # 国办公开办函〔2016〕235号: electronic delivery needs consent


class Case(SQLModel, table=True):
    __tablename__ = "cases"
    __mapper_args__ = {"version_id_col": case_version_col}
    __table_args__ = (
        Index("ix_cases_open_due", "closed", "next_due"),
        Index("ix_cases_state", "state"),
        Index("ix_cases_clerk_open", "clerk", "closed"),
    )
    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(unique=True)
    applicant_id: int = Field(foreign_key="applicant.id", index=True)
    channel: str
    submitted_on: dt.date
    received_on: dt.date = Field(index=True)  # 收到申请之日 (条例第三十一条)
    description: str = Field(sa_column=Column(Text, nullable=False))
    requested_form: str = ""
    clerk: str
    state: str
    closed: bool = False
    outcome: Optional[str] = None
    proposed_by: Optional[str] = None
    closed_on: Optional[dt.date] = Field(default=None, index=True)
    delivered_on: Optional[dt.date] = None
    delivery_method: Optional[str] = None
    # Cached clock results (recomputed from the history in every step's transaction).
    answer_due: Optional[dt.date] = None
    next_due: Optional[dt.date] = None
    next_clock: Optional[str] = None
    clock_paused: bool = False
    provisional: bool = False
    created_at: str = ""
    version: int = Field(default=1, sa_column=case_version_col)


class Consultation(SQLModel, table=True):
    __tablename__ = "consultation"
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str  # third_party (条例第三十二条) | agency (条例第三十四条)
    party: str
    sent_on: dt.date
    due_on: dt.date
    replied_on: Optional[dt.date] = None
    lapsed_on: Optional[dt.date] = None
    opinion: Optional[str] = None  # agree | object | none
    reason: str = ""


class HistoryEvent(SQLModel, table=True):
    """Append-only, hash-chained per case; the database refuses UPDATE and DELETE."""

    __tablename__ = "history_event"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_history_case_seq"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")  # looked up through uq_history_case_seq
    seq: int
    recorded_at: str  # ISO 8601 with +08:00, as hashed
    actor: str
    action: str
    effective_on: Optional[dt.date] = None
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    data: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))  # canonical JSON
    prev_hash: str
    hash: str  # not indexed: nothing looks an event up by hash (migration 0005)


class Counter(SQLModel, table=True):
    """Gap-free sequences (case numbers, 文号 per family per year), taken inside the step."""

    __tablename__ = "counter"
    scope: str = Field(primary_key=True)
    year: int = Field(primary_key=True)
    value: int = 0


class Letter(SQLModel, table=True):
    __tablename__ = "letter"
    __table_args__ = (UniqueConstraint("family", "year", "seq", name="uq_letter_number"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str
    family: str
    year: int
    seq: int
    number: str  # 文号
    event_id: int = Field(foreign_key="history_event.id")  # the step that made the letter due
    issued_on: dt.date
    status: str = "pending"  # pending | rendered | failed
    attempts: int = 0
    last_error: str = ""
    path: str = ""
    sha256: str = Field(default="", index=True)
    rendered_version: int = 0


class CalendarYear(SQLModel, table=True):
    """A State Council notice imported by the agency (overrides the shipped year file)."""

    __tablename__ = "calendar_year"
    year: int = Field(primary_key=True)
    source: str = Field(sa_column=Column(Text, nullable=False))
    sha256: str
    imported_at: str
    imported_by: str
