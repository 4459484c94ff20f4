"""Per-user limits chosen by an admin, and the automation run waiting for a worker

``users.limits`` holds an admin's overrides of the server-wide limits (JSON,
``NULL`` while the user has the defaults). ``automations.run_token`` marks a
run the scheduler claimed and queued: the worker that starts it clears it, so
a message delivered twice starts the run once.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 22:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from oasis_server.db.types import JSONText

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("limits", JSONText(), nullable=True))
    with op.batch_alter_table("automations") as batch:
        batch.add_column(sa.Column("run_token", sa.String(36), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("automations") as batch:
        batch.drop_column("run_token")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("limits")
