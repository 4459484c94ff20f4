"""The OAuth states already used, so that a callback works once across every server process

A row holds the SHA-256 digest of a state (never the state) and when the
state would have expired anyway; rows past that time are purged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 22:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oasis_server.db.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "used_oauth_states",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_used_oauth_states_expires_at", "used_oauth_states", ["expires_at"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_used_oauth_states_expires_at", table_name="used_oauth_states")
    op.drop_table("used_oauth_states")
