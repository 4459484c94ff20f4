"""Publishing state on posts and accounts, and automations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 12:35:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import oasis_server.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "automations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("style", sa.String(length=50), nullable=False),
        sa.Column("platforms", oasis_server.db.types.JSONText(), nullable=False),
        sa.Column("caption", sa.Text(), nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("next_run_at", oasis_server.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_run_at", oasis_server.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", oasis_server.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", oasis_server.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_automations_due", "automations", ["enabled", "next_run_at"], unique=False)
    op.create_index(op.f("ix_automations_user_id"), "automations", ["user_id"], unique=False)
    with op.batch_alter_table("scheduled_posts") as batch:
        batch.add_column(sa.Column("not_before", oasis_server.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("claim", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("automation_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            "fk_scheduled_posts_automation_id_automations",
            "automations",
            ["automation_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("social_accounts") as batch:
        batch.add_column(sa.Column("session", sa.Text(), nullable=True))
        batch.add_column(sa.Column("account_id", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("status_message", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("updated_at", oasis_server.db.types.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("social_accounts") as batch:
        for column in ("updated_at", "status_message", "account_id", "session"):
            batch.drop_column(column)
    with op.batch_alter_table("scheduled_posts") as batch:
        batch.drop_constraint("fk_scheduled_posts_automation_id_automations", type_="foreignkey")
        for column in ("automation_id", "claim", "not_before"):
            batch.drop_column(column)
    op.drop_index(op.f("ix_automations_user_id"), table_name="automations")
    op.drop_index("ix_automations_due", table_name="automations")
    op.drop_table("automations")
