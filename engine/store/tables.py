"""Every database table (SQLModel), in this one module: it is Alembic's target metadata
(migrations/env.py) and the schema the migrations in migrations/versions/ build.

The case row is a projection of its history events; clocks are derived from the events and
cached here only as indexed columns for lists and the sweep. The hot path reads and writes
these tables with plain SQL (rows.py); tests/test_store_rows_match_tables.py keeps rows.py's
row types in step with the columns here."""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import Column, DateTime, Integer, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

class Applicant(SQLModel, table=True):
    __tablename__ = "applicant"
    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    name_key: str = Field(default="", index=True)  # keys.normalise(name): repeat lookups
    kind: str  # natural | commercial | research | public_interest | legal_service | other
    id_number: str = ""  # 身份证明 (条例第二十九条); masked in listings
    phone: str = ""
    email: str = ""
    address: str = ""
    electronic_consent: bool = False  # 国办公开办函〔2016〕235号: electronic delivery needs consent


class Case(SQLModel, table=True):
    __tablename__ = "cases"
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
    # The optimistic lock: every step writes the case row through rows.save_projection, which
    # checks and bumps it (the ORM only reads case rows).
    version: int = Field(default=1, sa_column=Column("version", Integer, nullable=False, default=1))


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
    # How the actor was authenticated (engine/identity.py: peer, os_login, declared, system;
    # "" for events recorded before migration 0006). Part of the hash when not empty.
    actor_auth: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))


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


# --------------------------------------------------------------------------- warnings (0002_warnings)
# Written by engine/notify/outbox.py (the sweep) and engine/notify/delivery.py (the senders).

class WarningOutbox(SQLModel, table=True):
    """One row per (case, clock, level, due date): the unique key makes the sweep idempotent."""

    __tablename__ = "warning_outbox"
    __table_args__ = (UniqueConstraint("case_id", "clock", "level", "due_on", name="uq_warning_key"),)
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id")
    clock: str             # correction_notice | correction | answer | consultation:ID | payment
    level: str             # wd5 | wd3 | wd1 | due_today | overdue
    due_on: dt.date
    workdays_left: int     # at the sweep that created it
    as_of: dt.date         # the sweep's day
    provisional: bool = False
    created_at: str = ""   # ISO 8601 +08:00


class WarningDelivery(SQLModel, table=True):
    """Delivery state per recipient and channel: one failing recipient never resends to others."""

    __tablename__ = "warning_delivery"
    __table_args__ = (UniqueConstraint("warning_id", "recipient", "channel", name="uq_warning_delivery"),
                      Index("ix_warning_delivery_due", "status", "next_attempt_at"))
    id: Optional[int] = Field(default=None, primary_key=True)
    warning_id: int = Field(foreign_key="warning_outbox.id")
    recipient: str         # login from [users]
    channel: str           # email | webhook | none
    status: str = "pending"
    attempts: int = 0
    next_attempt_at: Optional[dt.datetime] = Field(default=None, sa_column=Column(DateTime, nullable=True))  # UTC
    last_error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    sent_at: Optional[dt.datetime] = Field(default=None, sa_column=Column(DateTime, nullable=True))  # UTC
    address: str = ""      # where it went (robot URLs masked)


# --------------------------------------------------------------------------- legal (0003_legal_challenge)
# Written by engine/legal/challenges.py; counted by the annual report (table 四).

class LegalChallenge(SQLModel, table=True):
    """An administrative review or lawsuit brought against a case."""

    __tablename__ = "legal_challenge"
    id: Optional[int] = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="cases.id", index=True)
    kind: str  # review | lawsuit_direct | lawsuit_after_review
    filed_on: dt.date = Field(index=True)
    body: str = ""  # 复议机关 or 法院
    result: Optional[str] = None  # upheld | corrected | other; None = 尚未审结
    result_on: Optional[dt.date] = Field(default=None, index=True)
    recorded_by: str = ""
    filed_event_id: Optional[int] = None
    result_event_id: Optional[int] = None


# --------------------------------------------------------------------------- the agency's log (0007_ledger)
# Written by engine/ledger/store.py (through rows.insert_leaf, in each step's transaction).

class LedgerLeaf(SQLModel, table=True):
    """One leaf of the agency's RFC 6962 Merkle tree; append-only (the database refuses UPDATE
    and DELETE), numbered gap-free in commit order by the counter row ("ledger", 0)."""

    __tablename__ = "ledger_leaf"
    idx: int = Field(sa_column=Column("idx", Integer, primary_key=True, autoincrement=False))  # 0-based
    kind: str = Field(sa_column=Column(Text, nullable=False))  # event | calendar | config | restore
    ref: int  # the history_event id; the calendar year
    leaf_hash: str = Field(sa_column=Column(Text, nullable=False))  # hex of merkle.leaf_hash(body)
    body: str = Field(sa_column=Column(Text, nullable=False))  # the canonical bytes (UTF-8 text)


class LedgerCheckpoint(SQLModel, table=True):
    """A signed checkpoint the instance made (`ogi audit checkpoint`); the proof is the note the
    legal office keeps, not this row."""

    __tablename__ = "ledger_checkpoint"
    id: Optional[int] = Field(default=None, primary_key=True)
    size: int
    root: str = Field(sa_column=Column(Text, nullable=False))  # hex
    note: str = Field(sa_column=Column(Text, nullable=False))  # the signed note, as written out
    made_at: str = Field(sa_column=Column(Text, nullable=False))  # ISO 8601 +08:00
    made_by: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))


# --------------------------------------------------------------------------- 依申请公开转主动公开 (0008_proactive)
# Written by engine/legal/proactive.py; every change is a `proactive` leaf of the agency's log.

class ProactiveItem(SQLModel, table=True):
    """An item of government information proposed for conversion to 主动公开 because it was
    requested again and again (条例第四十四条), and the reviewer's decision on it."""

    __tablename__ = "proactive_item"
    id: Optional[int] = Field(default=None, primary_key=True)
    number: str = Field(sa_column=Column(Text, nullable=False, unique=True))  # YYYY-NNN
    year: int
    seq: int
    title: str = Field(sa_column=Column(Text, nullable=False))
    doc_number: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))  # 文号
    issuer: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))  # 发文机关
    item_key: str = Field(sa_column=Column(Text, nullable=False, index=True))
    cases: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]", server_default="[]"))  # JSON
    applicants: int = 0
    state: str = Field(sa_column=Column(Text, nullable=False))  # proposed | approved | rejected
    proposed_by: str = Field(sa_column=Column(Text, nullable=False))
    proposed_on: dt.date
    proposal_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    decided_by: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    decided_on: Optional[dt.date] = Field(default=None, index=True)
    decision_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
    location: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))
