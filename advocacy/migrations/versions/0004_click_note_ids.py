"""click note ids: storing a batch of clicks twice counts each click once

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 14:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Clicks stored before this revision have no note id (NULL is never a duplicate).
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note_id", sa.String(length=32), nullable=True))
        batch_op.create_index("uq_clicks_note_id", ["note_id"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_index("uq_clicks_note_id")
        batch_op.drop_column("note_id")
