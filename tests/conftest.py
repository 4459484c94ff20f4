"""Fixtures shared by every test folder: throwaway MariaDB and Redis servers (see tests/services.py)."""

from __future__ import annotations

import pytest
from tests.services import (  # noqa: F401 - fixtures, made visible to every test
    mariadb,
    mariadb_url,
    private_mariadb,
    private_redis,
    redis_server,
    service_factory,
)


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers these fixtures use."""
    config.addinivalue_line(
        "markers",
        "backends(*names): run a test that uses the `context` fixture only on these database backends "
        "(sqlite, mariadb)",
    )
    config.addinivalue_line("markers", "services: needs a MariaDB or Redis server (started by the fixtures)")


SERVICE_FIXTURES = {
    "mariadb",
    "mariadb_url",
    "private_mariadb",
    "private_redis",
    "redis_server",
    "service_factory",
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a server ``services``, so ``-m "not services"`` leaves them out."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        callspec = getattr(item, "callspec", None)
        on_mariadb = callspec is not None and callspec.params.get("backend") == "mariadb"
        if on_mariadb or names & SERVICE_FIXTURES:
            item.add_marker(pytest.mark.services)
