"""Fixtures for the HTTP API: a fresh database, an app and a client per test.

``api_env`` holds the environment the server is built from; tests may add
to it before asking for ``client``.

Every test that uses ``context`` (and so ``client``) runs once per database
backend: ``sqlite`` (a file in the test's data folder) and ``mariadb`` (a
fresh ``oasis_test_<hex>`` database on the session's server, see
tests/services.py). ``OASIS_TEST_BACKENDS=sqlite`` (or ``mariadb``, or a
comma-separated list) picks backends for a run; ``@pytest.mark.backends("sqlite")``
limits one test. A test that sets ``DATABASE_URL`` in ``api_env`` itself is
built on that database instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from oasis_core.catalog import ProviderCatalog
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.db.migrate import upgrade
from oasis_server.settings import Settings

PASSWORD = "correct horse battery"
BACKENDS = ("sqlite", "mariadb")
BACKENDS_VARIABLE = "OASIS_TEST_BACKENDS"
_ALIASES = {"mysql": "mariadb", "maria": "mariadb", "sql": "sqlite"}
NO_DOTENV = Path("/nonexistent/.env")


def selected_backends() -> list[str]:
    """The backends to run, from ``OASIS_TEST_BACKENDS`` (default: all)."""
    raw = os.environ.get(BACKENDS_VARIABLE, "")
    if not raw.strip():
        return list(BACKENDS)
    chosen = []
    for name in (part.strip().lower() for part in raw.split(",")):
        name = _ALIASES.get(name, name)
        if name not in BACKENDS:
            raise pytest.UsageError(f"{BACKENDS_VARIABLE}: unknown backend {name!r} (choose from {BACKENDS})")
        if name not in chosen:
            chosen.append(name)
    return chosen


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that depends on ``backend`` (e.g. through ``context``) once per backend."""
    if "backend" not in metafunc.fixturenames:
        return
    backends = selected_backends()
    marker = metafunc.definition.get_closest_marker("backends")
    if marker is not None:
        backends = [name for name in backends if name in marker.args]
    metafunc.parametrize("backend", backends, indirect=True, ids=backends)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: ``sqlite`` or ``mariadb``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def api_env(tmp_path: Path) -> dict[str, str]:
    """The server's environment: a private data folder, cheap bcrypt for speed."""
    return {"OASIS_DATA_DIR": str(tmp_path / "data"), "OASIS_BCRYPT_ROUNDS": "4"}


@pytest.fixture
def server_catalog() -> ProviderCatalog | None:
    """The provider catalog ``context`` is built with; ``None``: the installed plugins.

    Override this (rather than ``context``) to give a test module its own
    providers and still run on every backend.
    """
    return None


def build_context(
    env: dict[str, str], *, catalog: ProviderCatalog | None = None, migrate: bool = True
) -> ServerContext:
    """A server context built from ``env`` alone (no ``.env`` file), its database migrated."""
    settings = Settings.from_env(env, dotenv=NO_DOTENV)
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    ctx = ServerContext.build(settings, catalog=catalog)
    if migrate:
        try:
            upgrade(ctx.engine)
        except BaseException:
            ctx.close()
            raise
    return ctx


@pytest.fixture
def context(
    api_env: dict[str, str],
    backend: str,
    server_catalog: ProviderCatalog | None,
    request: pytest.FixtureRequest,
) -> Iterator[ServerContext]:
    """A server context on a freshly migrated database of the test's backend."""
    if backend == "mariadb" and "DATABASE_URL" not in api_env:
        api_env["DATABASE_URL"] = request.getfixturevalue("mariadb_url")  # dropped after this fixture
    ctx = build_context(api_env, catalog=server_catalog)
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
