"""Fixtures for the HTTP API: a fresh database, an app and a client per test.

``api_env`` holds the environment the server is built from; tests may add
to it before asking for ``client``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.db.migrate import upgrade
from oasis_server.settings import Settings

PASSWORD = "correct horse battery"


@pytest.fixture
def api_env(tmp_path: Path) -> dict[str, str]:
    """The server's environment: a private data folder, cheap bcrypt for speed."""
    return {"OASIS_DATA_DIR": str(tmp_path / "data"), "OASIS_BCRYPT_ROUNDS": "4"}


@pytest.fixture
def context(api_env: dict[str, str]) -> Iterator[ServerContext]:
    """A server context on a freshly migrated database."""
    settings = Settings.from_env(api_env, dotenv=Path("/nonexistent/.env"))
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = ServerContext.build(settings)
    upgrade(ctx.engine)
    yield ctx
    ctx.close()


@pytest.fixture
def client(context: ServerContext) -> Iterator[TestClient[Any]]:
    """A test client for the app (its startup and shutdown hooks run)."""
    with TestClient(create_app(context=context)) as test_client:
        yield test_client


def auth(token: str) -> dict[str, str]:
    """The Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def register(client: TestClient[Any], email: str, name: str = "Test User") -> tuple[str, dict[str, Any]]:
    """Register ``email``; return its token and user."""
    response = client.post("/api/auth/register", json={"name": name, "email": email, "password": PASSWORD})
    assert response.status_code == 201, response.text
    body = response.json()
    return body["token"], body["user"]
