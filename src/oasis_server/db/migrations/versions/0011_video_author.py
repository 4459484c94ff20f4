"""A video's author

``videos.author`` holds who said the words of a quote video ("Epictetus"), so
the render can end on a card naming them; ``NULL`` when the words are the
user's own or a script's.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 23:59:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("videos") as batch:
        batch.add_column(sa.Column("author", sa.String(length=120), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("videos") as batch:
        batch.drop_column("author")
