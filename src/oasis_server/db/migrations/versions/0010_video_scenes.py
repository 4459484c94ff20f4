"""A video's scenes

``videos.scenes`` holds the scenes of a video told as a script (each scene's
text, visual prompt and search terms, as JSON), so the render can cut its
pictures and captions scene by scene; ``NULL`` for a video of one text.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oasis_server.db.types import JSONText

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("scenes", JSONText(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("scenes")
