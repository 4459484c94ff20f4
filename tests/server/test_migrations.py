"""The migrations build exactly the schema the models describe, on every backend."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from oasis_server.api.context import ServerContext
from oasis_server.db.migrate import is_current
from oasis_server.db.models import Base


def test_the_migrated_database_matches_the_models(context: ServerContext) -> None:
    assert is_current(context.engine)
    with context.engine.connect() as connection:
        migration = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(migration, Base.metadata)
    assert differences == [], (
        "a model changed without a migration under src/oasis_server/db/migrations/versions"
    )
