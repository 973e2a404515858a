"""applicant.name_key: the normalised name, indexed, so the repeat check at registration
(条例第三十六条第（六）项) looks up one applicant's cases instead of every answered case

Revision ID: 0004_name_key
Revises: 0003_legal
Create Date: 2026-12-01
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = "0004_name_key"
down_revision: Union[str, None] = "0003_legal"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name_key", sa.String(), nullable=False, server_default=""))
    # Existing applicants: the key the engine writes for new ones (engine/store/keys.py).
    from ogi.engine.store.keys import normalise

    conn = op.get_bind()
    applicant = sa.table("applicant", sa.column("id", sa.Integer), sa.column("name", sa.String),
                         sa.column("name_key", sa.String))
    updates = [{"i": i, "k": normalise(name)} for i, name in conn.execute(sa.select(applicant.c.id, applicant.c.name))]
    if updates:
        conn.execute(applicant.update().where(applicant.c.id == sa.bindparam("i")).values(name_key=sa.bindparam("k")),
                     updates)
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_applicant_name_key"), ["name_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("applicant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_applicant_name_key"))
        batch_op.drop_column("name_key")
