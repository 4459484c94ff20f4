"""How a video's captions look

``videos.captions`` holds the caption style the render was asked for (its
preset and choices, as JSON); ``NULL`` is the classic look, which is what
every video rendered before it had.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 23:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oasis_server.db.types import JSONText

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("captions", JSONText(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("captions")
