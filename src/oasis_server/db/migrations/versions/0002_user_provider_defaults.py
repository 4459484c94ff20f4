"""Each user's default providers

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 12:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oasis_server.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("provider_defaults", oasis_server.db.types.JSONText(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("users") as batch:
        batch.drop_column("provider_defaults")
