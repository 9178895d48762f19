"""videos and their resumable uploads

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media_assets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False,
                                      server_default="ready"))
        batch_op.add_column(sa.Column("error_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("error_params", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("duration", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("original_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("processing_started_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_table(
        "video_uploads",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("protocol", sa.String(length=16), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("media_id", sa.Integer(), nullable=True),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("filetype", sa.String(length=100), nullable=True),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("multipart_id", sa.String(length=400), nullable=True),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("tail_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"],
                                name=op.f("fk_video_uploads_story_id_stories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_video_uploads_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_id"], ["media_assets.id"],
                                name=op.f("fk_video_uploads_media_id_media_assets"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_video_uploads")),
    )
    with op.batch_alter_table("video_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_video_uploads_story_id"), ["story_id"],
                              unique=False)
        batch_op.create_index("ix_video_uploads_expires_at", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("video_uploads", schema=None) as batch_op:
        batch_op.drop_index("ix_video_uploads_expires_at")
        batch_op.drop_index(batch_op.f("ix_video_uploads_story_id"))
    op.drop_table("video_uploads")
    with op.batch_alter_table("media_assets", schema=None) as batch_op:
        batch_op.drop_column("processing_started_at")
        batch_op.drop_column("original_key")
        batch_op.drop_column("duration")
        batch_op.drop_column("error_params")
        batch_op.drop_column("error_code")
        batch_op.drop_column("status")
