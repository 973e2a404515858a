"""proactive_item: information requested again and again, proposed for 主动公开 (issue 17)

条例第四十四条: information that several applicants requested may be converted to proactive
disclosure. A clerk proposes an item, a reviewer approves (with where it is published) or
rejects it (with a reason); each change is also a `proactive` leaf of the agency's log.

Revision ID: 0008_proactive
Revises: 0007_ledger
Create Date: 2026-12-06
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0008_proactive"
down_revision: Union[str, None] = "0007_ledger"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    text = lambda name: sa.Column(name, sa.Text(), nullable=False, server_default="")  # noqa: E731
    op.create_table(
        "proactive_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        text("doc_number"),
        text("issuer"),
        sa.Column("item_key", sa.Text(), nullable=False),
        sa.Column("cases", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("applicants", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.Text(), nullable=False),
        sa.Column("proposed_on", sa.Date(), nullable=False),
        text("proposal_reason"),
        text("decided_by"),
        sa.Column("decided_on", sa.Date(), nullable=True),
        text("decision_reason"),
        text("location"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index("ix_proactive_item_item_key", "proactive_item", ["item_key"])
    op.create_index("ix_proactive_item_decided_on", "proactive_item", ["decided_on"])


def downgrade() -> None:
    op.drop_index("ix_proactive_item_decided_on", table_name="proactive_item")
    op.drop_index("ix_proactive_item_item_key", table_name="proactive_item")
    op.drop_table("proactive_item")
