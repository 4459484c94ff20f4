"""Fixtures shared by every test folder: throwaway MariaDB and Redis servers (see tests/services.py).

Tests never talk to a real cloud service: the variables that hold real
credentials or point at real endpoints are removed from the environment
before anything runs, and the SDKs' base URLs point at a closed loopback port,
so a provider built by mistake fails fast on 127.0.0.1 instead of reaching
the internet. Tests that need a service start a fake one and pass its URL.
"""

from __future__ import annotations

import os

import pytest
from tests.s3_server import moto_server, s3_settings  # noqa: F401 - fixtures, made visible to every test
from tests.services import (  # noqa: F401 - fixtures, made visible to every test
    mariadb,
    mariadb_url,
    private_mariadb,
    private_redis,
    redis_server,
    service_factory,
)

CLOUD_VARIABLES = (
    "OPENAI_API_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "ELEVENLABS_API_KEY",
    "STORAGE_BUCKET",
    "S3_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "YOUTUBE_CLIENT_ID",
    "YOUTUBE_CLIENT_SECRET",
    "TIKTOK_CLIENT_KEY",
    "TIKTOK_CLIENT_SECRET",
    "TIKTOK_API_BASE_URL",
    "INSTAGRAM_PROXY",
)
CLOSED_LOOPBACK = "http://127.0.0.1:9"
"""The discard port: nothing listens there, so a stray request fails at once, locally."""


def _keep_tests_off_the_internet() -> None:
    for name in CLOUD_VARIABLES:
        os.environ.pop(name, None)
    os.environ["OPENAI_BASE_URL"] = f"{CLOSED_LOOPBACK}/v1"
    os.environ["ELEVENLABS_BASE_URL"] = CLOSED_LOOPBACK
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


_keep_tests_off_the_internet()


def pytest_configure(config: pytest.Config) -> None:
    """Register the markers these fixtures use."""
    config.addinivalue_line(
        "markers",
        "backends(*names): run a test that uses the `context` fixture only on these database backends "
        "(sqlite, mariadb)",
    )
    config.addinivalue_line("markers", "services: needs a MariaDB or Redis server (started by the fixtures)")


SERVICE_FIXTURES = {
    "moto_server",
    "s3_settings",
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
