"""ledger_leaf and ledger_checkpoint: the agency-wide append-only log (issue 15)

ledger_leaf holds one leaf of the agency's RFC 6962 Merkle tree per history event, calendar
import, configuration change or restore, in the order they were committed (idx: 0-based,
gap-free, allocated in the step's own transaction through the counter row ("ledger", 0)).
Like history_event, the database refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL).
ledger_checkpoint records the signed checkpoints the instance made (`ogi audit checkpoint`);
the proof is the signed note the legal office keeps, not this table.

An instance upgraded to this revision gets a leaf for every event and imported calendar year
it already holds (in event id order, then by year), so the log covers its whole record from the
first checkpoint on.

Plain create_table, not batch mode: on SQLite a batch operation on history_event may rebuild
the table, which would drop the triggers that refuse UPDATE and DELETE on the history.

Revision ID: 0007_ledger
Revises: 0006_actor_auth
Create Date: 2026-12-20
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0007_ledger"
down_revision: Union[str, None] = "0006_actor_auth"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

def upgrade() -> None:
    op.create_table(
        "ledger_leaf",
        sa.Column("idx", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("leaf_hash", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("idx"),
    )
    op.create_table(
        "ledger_checkpoint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("made_at", sa.Text(), nullable=False),
        sa.Column("made_by", sa.Text(), nullable=False, server_default=""),
        sa.PrimaryKeyConstraint("id"),
    )
    _append_only()
    _backfill()


def ledger_append_only_sql(dialect: str) -> list[str]:
    """The statements that make ledger_leaf refuse UPDATE and DELETE (and TRUNCATE), spelled out
    once in engine/store/schema.py (`ogi init` restores them)."""
    from ogi.engine.store.schema import append_only_sql

    return append_only_sql("ledger_leaf", dialect)


def _append_only() -> None:
    for statement in ledger_append_only_sql(op.get_bind().dialect.name):
        op.execute(statement)


def _backfill() -> None:
    """Leaves for the events and imported calendar years recorded before this revision."""
    from ogi.engine.ledger.store import backfill

    backfill(op.get_bind())


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS ledger_leaf_no_update")
        op.execute("DROP TRIGGER IF EXISTS ledger_leaf_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_leaf_readonly ON ledger_leaf")
        op.execute("DROP TRIGGER IF EXISTS ledger_leaf_no_truncate ON ledger_leaf")
        op.execute("DROP FUNCTION IF EXISTS ogi_ledger_readonly()")
    op.drop_table("ledger_checkpoint")
    op.drop_table("ledger_leaf")
    op.execute("DELETE FROM counter WHERE scope = 'ledger'")
