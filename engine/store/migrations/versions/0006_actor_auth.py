"""history_event.actor_auth: how each event's actor was authenticated (issue 14)

peer (the service's socket peer credentials), os_login (in-process, the OS account), declared
(--as / OGI_USER where the configuration allows it), system (the service's own work); empty for
events recorded before this revision, whose hashes do not include it.

Plain add_column, not batch mode: on SQLite a batch operation may rebuild the table, which would
drop the triggers that refuse UPDATE and DELETE on the history.

Revision ID: 0006_actor_auth
Revises: 0005_event_indexes
Create Date: 2026-12-06
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0006_actor_auth"
down_revision: Union[str, None] = "0005_event_indexes"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.add_column("history_event", sa.Column("actor_auth", sa.Text(), nullable=False, server_default=""))


def downgrade() -> None:
    op.drop_column("history_event", "actor_auth")
