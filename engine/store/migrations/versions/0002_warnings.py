"""deadline warnings: the outbox (one row per case, clock, level, due date) and its deliveries

Revision ID: 0002_warnings
Revises: 0001
Create Date: 2026-11-23
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0002_warnings"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "warning_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("clock", sa.String(), nullable=False),
        sa.Column("level", sa.String(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("workdays_left", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("provisional", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        # the sweep inserts with ON CONFLICT DO NOTHING on this key: reruns never duplicate
        sa.UniqueConstraint("case_id", "clock", "level", "due_on", name="uq_warning_key"),
    )
    op.create_table(
        "warning_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("address", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(["warning_id"], ["warning_outbox.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("warning_id", "recipient", "channel", name="uq_warning_delivery"),
    )
    with op.batch_alter_table("warning_delivery", schema=None) as batch_op:
        batch_op.create_index("ix_warning_delivery_due", ["status", "next_attempt_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("warning_delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_warning_delivery_due")
    op.drop_table("warning_delivery")
    op.drop_table("warning_outbox")
