"""Room for an upload session URI as a post's platform id

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("scheduled_posts") as batch:
        batch.alter_column(
            "platform_id",
            existing_type=sa.String(length=255),
            type_=sa.String(length=1024),
            existing_nullable=True,
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("scheduled_posts") as batch:
        batch.alter_column(
            "platform_id",
            existing_type=sa.String(length=1024),
            type_=sa.String(length=255),
            existing_nullable=True,
        )
