"""A user's videos, newest first, read straight from one index

The list orders by ``created_at`` and then ``id`` (so pages are stable when
two videos share a time); with ``id`` in the index SQLite no longer sorts
each page in a temporary tree. The new index is made before the old one is
dropped: MySQL needs one on ``user_id`` for the foreign key at all times.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 15:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_videos_user_newest", "videos", ["user_id", "created_at", "id"])
    op.drop_index("ix_videos_user_created", table_name="videos")


def downgrade() -> None:
    """Undo this revision."""
    op.create_index("ix_videos_user_created", "videos", ["user_id", "created_at"])
    op.drop_index("ix_videos_user_newest", table_name="videos")
