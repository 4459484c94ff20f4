"""The API when its database or broker goes away: a clear 503, then recovery without a restart.

Each test has servers of its own (``private_mariadb``, ``private_redis`` from
tests/services.py), so stopping them disturbs nothing else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.server.conftest import PASSWORD, auth, build_context, register
from tests.services import MariaDBServer, RedisServer

from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext

LEAKS = ("Traceback", "SELECT", "INSERT", "UPDATE", "pymysql", "sqlalchemy", "OperationalError", "redis.")
ANSWER_WITHIN = 15.0  # seconds: a dependency that is down must not make the API hang


def assert_clean_503(response: Any) -> dict[str, Any]:
    assert response.status_code == 503, response.text
    body = response.json()
    assert set(body) <= {"error", "fields"} and body["error"], body
    for leak in LEAKS:
        assert leak not in response.text, f"{leak!r} leaked into {response.text!r}"
    return dict(body)


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """``call()``'s result, failing the test (not hanging it) if it takes longer than ``seconds``."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    started = time.monotonic()
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"no answer within {seconds:.0f} s", pytrace=False)
    if "error" in outcome:
        raise outcome["error"]
    assert time.monotonic() - started <= seconds
    return outcome["value"]


@pytest.fixture
def mariadb_context(private_mariadb: MariaDBServer, api_env: dict[str, str]) -> Iterator[ServerContext]:
    """A server context on a database of the test's own MariaDB."""
    api_env["DATABASE_URL"] = private_mariadb.url(private_mariadb.create_database())
    ctx = build_context(api_env)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_database_down_is_a_clean_503_and_the_api_recovers_by_itself(
    private_mariadb: MariaDBServer, mariadb_context: ServerContext, how: str
) -> None:
    with TestClient(create_app(context=mariadb_context)) as client:
        token, _ = register(client, "ada@example.com")
        assert client.get("/api/health").status_code == 200

        getattr(private_mariadb, how)()

        health = within(ANSWER_WITHIN, lambda: client.get("/api/health"))
        assert health.status_code == 503
        assert health.json().items() >= {"status": "degraded", "database": "down", "broker": "ok"}.items()
        verify = within(ANSWER_WITHIN, lambda: client.get("/api/auth/verify", headers=auth(token)))
        assert_clean_503(verify)
        assert verify.headers.get("retry-after")
        login = client.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        assert_clean_503(login)
        signup = client.post(
            "/api/auth/register", json={"name": "Bo", "email": "bo@example.com", "password": PASSWORD}
        )
        assert_clean_503(signup)

        private_mariadb.start()  # same port, same data; the app is not restarted

        assert (
            client.get("/api/health").json().items()
            >= {"status": "ok", "database": "ok", "broker": "ok"}.items()
        )
        assert client.get("/api/auth/verify", headers=auth(token)).status_code == 200
        login = client.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD})
        assert login.status_code == 200, login.text


def test_a_database_restart_between_requests_is_invisible(
    private_mariadb: MariaDBServer, mariadb_context: ServerContext
) -> None:
    with TestClient(create_app(context=mariadb_context)) as client:
        token, _ = register(client, "ada@example.com")
        private_mariadb.restart()  # every pooled connection is now dead; pool_pre_ping replaces them
        assert client.get("/api/auth/verify", headers=auth(token)).status_code == 200
        assert client.get("/api/health").status_code == 200


@pytest.mark.slow
def test_a_hung_database_gives_503_in_bounded_time(
    private_mariadb: MariaDBServer, mariadb_context: ServerContext
) -> None:
    with TestClient(create_app(context=mariadb_context)) as client:
        token, _ = register(client, "ada@example.com")
        private_mariadb.pause()
        try:
            health = within(ANSWER_WITHIN, lambda: client.get("/api/health"))
            assert health.status_code == 503
            assert_clean_503(
                within(ANSWER_WITHIN, lambda: client.get("/api/auth/verify", headers=auth(token)))
            )
        finally:
            private_mariadb.resume()


@pytest.fixture
def redis_context(private_redis: RedisServer, api_env: dict[str, str]) -> Iterator[ServerContext]:
    """A server context (SQLite) whose broker is the test's own Redis."""
    api_env["REDIS_URL"] = private_redis.url
    ctx = build_context(api_env)
    yield ctx
    ctx.close()


def test_broker_down_is_503_on_health_and_the_api_recovers(
    private_redis: RedisServer, redis_context: ServerContext
) -> None:
    with TestClient(create_app(context=redis_context, embedded_worker=False)) as client:
        token, _ = register(client, "ada@example.com")
        assert (
            client.get("/api/health").json().items()
            >= {"status": "ok", "database": "ok", "broker": "ok"}.items()
        )

        private_redis.stop()

        health = within(ANSWER_WITHIN, lambda: client.get("/api/health"))
        assert health.status_code == 503
        assert health.json().items() >= {"status": "degraded", "database": "ok", "broker": "down"}.items()
        # what does not need the broker keeps working
        assert client.get("/api/auth/verify", headers=auth(token)).status_code == 200

        private_redis.start()

        assert (
            client.get("/api/health").json().items()
            >= {"status": "ok", "database": "ok", "broker": "ok"}.items()
        )


def test_login_while_the_broker_is_down_is_not_a_500(
    private_redis: RedisServer, redis_context: ServerContext
) -> None:
    with TestClient(create_app(context=redis_context, embedded_worker=False)) as client:
        register(client, "ada@example.com")
        private_redis.stop()
        login = within(
            ANSWER_WITHIN,
            lambda: client.post("/api/auth/login", json={"email": "ada@example.com", "password": PASSWORD}),
        )
        assert login.status_code in {200, 503}, login.text
        if login.status_code == 503:
            assert_clean_503(login)


def test_a_redis_restart_keeps_its_data(private_redis: RedisServer) -> None:
    client = private_redis.client()
    client.rpush("oasis:test", "a", "b")
    client.close()
    private_redis.restart()
    client = private_redis.client()
    assert client.lrange("oasis:test", 0, -1) == [b"a", b"b"]
    client.close()
