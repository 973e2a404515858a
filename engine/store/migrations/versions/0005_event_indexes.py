"""history_event: drop two indexes no query uses; every event insert paid for them

- ix_history_event_hash: no query looks an event up by its hash (the audit recomputes hashes
  case by case); at a million cases it held ~6M 64-character keys.
- ix_history_event_case_id: the unique (case_id, seq) index already serves every lookup by case.

Plain drop_index, not batch mode: on SQLite a batch operation may rebuild the table, which
would drop the triggers that refuse UPDATE and DELETE on the history.

Revision ID: 0005_event_indexes
Revises: 0004_name_key
Create Date: 2026-12-01
"""
from typing import Sequence, Union

from alembic import op

revision: str = "0005_event_indexes"
down_revision: Union[str, None] = "0004_name_key"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.drop_index("ix_history_event_hash", table_name="history_event")
    op.drop_index("ix_history_event_case_id", table_name="history_event")


def downgrade() -> None:
    op.create_index("ix_history_event_case_id", "history_event", ["case_id"], unique=False)
    op.create_index("ix_history_event_hash", "history_event", ["hash"], unique=False)
