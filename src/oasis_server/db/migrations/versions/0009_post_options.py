"""A post's options per platform, and an automation's

``scheduled_posts.options`` holds the options of the post's platform
(YouTube's title, tags and privacy, TikTok's privacy level and switches,
Instagram's caption, feed and cover), as its publisher checked them; ``NULL``
for a post made without options. ``automations.options`` holds the options
per platform that each run's posts get.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 23:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oasis_server.db.types import JSONText

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("scheduled_posts") as batch:
        batch.add_column(sa.Column("options", JSONText(), nullable=True))
    with op.batch_alter_table("automations") as batch:
        batch.add_column(sa.Column("options", JSONText(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("automations") as batch:
        batch.drop_column("options")
    with op.batch_alter_table("scheduled_posts") as batch:
        batch.drop_column("options")
