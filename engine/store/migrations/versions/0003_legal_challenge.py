"""legal challenges: administrative reviews and lawsuits against a case (annual report table 四)

Revision ID: 0003_legal
Revises: 0001
Create Date: 2026-11-23
"""
from typing import Sequence, Union

import sqlalchemy as sa
import sqlmodel  # noqa: F401 - autogenerate emits sqlmodel.sql.sqltypes.AutoString
from alembic import op

revision: str = "0003_legal"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "legal_challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filed_on", sa.Date(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("result", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("result_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("filed_event_id", sa.Integer(), nullable=True),
        sa.Column("result_event_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("legal_challenge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_legal_challenge_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_challenge_filed_on"), ["filed_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_legal_challenge_result_on"), ["result_on"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("legal_challenge", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_legal_challenge_result_on"))
        batch_op.drop_index(batch_op.f("ix_legal_challenge_filed_on"))
        batch_op.drop_index(batch_op.f("ix_legal_challenge_case_id"))
    op.drop_table("legal_challenge")
