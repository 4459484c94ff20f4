"""Sign-in throttling: slows guessing, never locks out a user with the right password, trusts only proxies."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from litestar.testing import TestClient
from tests.server.conftest import PASSWORD, build_context, register

from oasis_server.api.app import create_app
from oasis_server.security.client_address import client_address, parse_networks
from oasis_server.security.throttle import (
    FIRST_WAIT_SECONDS,
    SWEEP_SECONDS,
    LoginThrottle,
    MemoryCounter,
    RedisCounter,
    ThrottlePolicy,
)

PROXY = "10.0.0.2"
POLICY = ThrottlePolicy(account_address_limit=3, address_limit=20, account_limit=6, window=900, max_wait=60)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: Clock, policy: ThrottlePolicy = POLICY) -> LoginThrottle:
    return LoginThrottle(MemoryCounter(clock), policy)


def test_waits_start_short_and_double_up_to_the_cap() -> None:
    clock = Clock()
    throttle = _throttle(clock, attrs.evolve(POLICY, account_limit=1000))
    waits = []
    for _ in range(10):
        assert throttle.retry_after("ada@example.com", "198.51.100.7") is None
        throttle.failed("ada@example.com", "198.51.100.7")
        wait = throttle.retry_after("ada@example.com", "198.51.100.7")
        waits.append(wait)
        clock.now += wait or 0
    assert waits[:2] == [None, None]
    expected = [min(POLICY.max_wait, FIRST_WAIT_SECONDS * 2**n) for n in range(8)]
    assert waits[2:] == expected
    assert max(waits[2:]) == POLICY.max_wait  # a short, growing wait: never a long hard lock


def test_an_attacker_cannot_lock_out_a_user_from_a_new_address() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for attacker in range(200):  # rotating addresses, all guessing one account
        address = f"203.0.113.{attacker % 250}"
        if throttle.retry_after("ada@example.com", address) is None:
            throttle.failed("ada@example.com", address)
        clock.now += 0.5
    assert throttle.retry_after("ada@example.com", "192.0.2.10") is None  # the user, elsewhere, may try


def test_once_an_account_is_under_attack_each_address_gets_one_try() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for attacker in range(POLICY.account_limit):
        throttle.failed("ada@example.com", f"203.0.113.{attacker}")
    throttle.failed("ada@example.com", "198.51.100.1")
    assert throttle.retry_after("ada@example.com", "198.51.100.1") == FIRST_WAIT_SECONDS
    assert throttle.retry_after("bob@example.com", "198.51.100.1") is None  # other accounts are untouched


def test_one_address_waits_past_its_high_ceiling_whatever_the_accounts() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for n in range(POLICY.address_limit):
        assert throttle.retry_after(f"guess{n}@example.com", "198.51.100.9") is None
        throttle.failed(f"guess{n}@example.com", "198.51.100.9")
    assert throttle.retry_after("ada@example.com", "198.51.100.9") == FIRST_WAIT_SECONDS
    assert throttle.retry_after("ada@example.com", "198.51.100.10") is None


def test_a_success_clears_the_count_of_that_address() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for _ in range(POLICY.account_address_limit - 1):
        throttle.failed("ada@example.com", "192.0.2.1")
    throttle.succeeded("ada@example.com", "192.0.2.1")
    for _ in range(POLICY.account_address_limit - 1):
        throttle.failed("ada@example.com", "192.0.2.1")
    assert throttle.retry_after("ada@example.com", "192.0.2.1") is None


def test_the_memory_counter_drops_expired_windows() -> None:
    clock = Clock()
    counter = MemoryCounter(clock)
    for n in range(100_000):
        counter.hit(f"addr:{n}", 10)
    assert len(counter) == 100_000
    clock.now += max(10, SWEEP_SECONDS) + 1
    counter.hit("addr:fresh", 10)
    assert len(counter) == 1
    assert counter.count("addr:1") == (0, 0)


def test_the_redis_counter_counts_expires_and_resets(redis_server: Any) -> None:
    client = redis_server.client()
    counter = RedisCounter(client, prefix="oasis:test-throttle:")
    assert [counter.hit("k", 60) for _ in range(3)] == [1, 2, 3]
    count, ttl = counter.count("k")
    assert count == 3 and 0 < ttl <= 60
    counter.reset("k")
    assert counter.count("k") == (0, 0)
    throttle = LoginThrottle(counter, POLICY)
    for _ in range(POLICY.account_address_limit):
        throttle.failed("ada@example.com", "192.0.2.1")
    assert throttle.retry_after("ada@example.com", "192.0.2.1") == FIRST_WAIT_SECONDS
    # another process sharing Redis sees the same wait
    other = LoginThrottle(RedisCounter(client, prefix="oasis:test-throttle:"), POLICY)
    assert other.retry_after("ada@example.com", "192.0.2.1") == FIRST_WAIT_SECONDS


# --- who the client is ---------------------------------------------------------------------------------

TRUSTED = parse_networks("10.0.0.0/8, ::1")


def test_forwarded_headers_are_ignored_from_an_untrusted_peer() -> None:
    assert client_address("198.51.100.7", TRUSTED, x_forwarded_for=["192.0.2.1"]) == "198.51.100.7"
    assert client_address("198.51.100.7", (), forwarded=["for=192.0.2.1"]) == "198.51.100.7"


def test_a_trusted_proxy_names_the_client_and_a_forged_entry_does_not_count() -> None:
    # the client wrote "1.1.1.1" itself; the proxy appended the address it saw
    assert client_address("10.0.0.2", TRUSTED, x_forwarded_for=["1.1.1.1, 192.0.2.1"]) == "192.0.2.1"
    assert (
        client_address("10.0.0.2", TRUSTED, x_forwarded_for=["1.1.1.1, 192.0.2.1, 10.0.0.3"]) == "192.0.2.1"
    )
    assert (
        client_address("::1", TRUSTED, forwarded=['for="[2001:db8::17]:4711";proto=https', "for=10.1.1.1"])
        == "2001:db8::17"
    )
    assert client_address("10.0.0.2", TRUSTED, forwarded=["for=192.0.2.60:8080"]) == "192.0.2.60"
    assert client_address("10.0.0.2", TRUSTED) == "10.0.0.2"  # nothing forwarded: the proxy itself


@given(st.lists(st.text(max_size=30), max_size=4), st.lists(st.text(max_size=30), max_size=4))
def test_any_forwarded_header_gives_some_address_and_never_fails(
    forwarded: list[str], x_forwarded_for: list[str]
) -> None:
    address = client_address("10.0.0.2", TRUSTED, forwarded=forwarded, x_forwarded_for=x_forwarded_for)
    assert isinstance(address, str) and address


def test_bad_trusted_proxies_are_refused_with_the_variable_named(tmp_path: Path) -> None:
    from oasis_server.settings import ConfigurationError, Settings

    env = {"OASIS_DATA_DIR": str(tmp_path), "OASIS_TRUSTED_PROXIES": "10.0.0.0/8, proxy.example"}
    with pytest.raises(ConfigurationError, match=r"OASIS_TRUSTED_PROXIES='proxy.example'"):
        Settings.from_env(env, dotenv=Path("/nonexistent/.env"))
    env["OASIS_TRUSTED_PROXIES"] = "10.0.0.0/8,::1"
    networks = Settings.from_env(env, dotenv=Path("/nonexistent/.env")).trusted_proxies
    assert networks == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))


# --- through the API ------------------------------------------------------------------------------------


def _login(client: TestClient[Any], email: str, password: str, address: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address} if address else {}
    return client.post("/api/auth/login", json={"email": email, "password": password}, headers=headers)


@pytest.fixture
def proxied_client(api_env: dict[str, str], backend: str, request: pytest.FixtureRequest) -> Any:
    """A server behind a trusted proxy: the TestClient's peer is the proxy."""
    if backend == "mariadb":
        api_env["DATABASE_URL"] = request.getfixturevalue("mariadb_url")
    api_env.update(
        {
            "OASIS_LOGIN_MAX_FAILURES": "3",
            "OASIS_LOGIN_ADDRESS_MAX_FAILURES": "1000",
            "OASIS_LOGIN_ACCOUNT_MAX_FAILURES": "10",
        }
    )
    api_env["OASIS_TRUSTED_PROXIES"] = PROXY
    context = build_context(api_env)
    app = create_app(context=context)
    handler = app.asgi_handler

    async def from_proxy(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "client": (PROXY, 40000)}
        await handler(scope, receive, send)

    app.asgi_handler = from_proxy
    with TestClient(app) as client:
        yield client
    context.close()


@pytest.mark.backends("sqlite")
def test_clients_behind_one_proxy_do_not_share_a_throttle(proxied_client: TestClient[Any]) -> None:
    register(proxied_client, "ada@example.com")
    # 50 failed logins with random emails from one client, through the proxy
    for n in range(50):
        assert (
            _login(proxied_client, f"random{n}@example.com", "wrong password", "198.51.100.66").status_code
            == 401
        )
    # ... and hammering the user's own account from many addresses
    for n in range(40):
        _login(proxied_client, "ada@example.com", "wrong password", f"203.0.113.{n}")
    response = _login(proxied_client, "ada@example.com", PASSWORD, "192.0.2.10")
    assert response.status_code == 200, response.text
    # the attacking address itself is slowed down on that account, with a Retry-After
    refused = _login(proxied_client, "ada@example.com", PASSWORD, "203.0.113.39")  # failed just now
    assert refused.status_code == 429
    assert 0 < int(refused.headers["retry-after"]) <= 300
    assert set(refused.json()) == {"error"}


@pytest.mark.backends("sqlite")
def test_a_forwarded_header_from_a_direct_client_is_ignored(client: TestClient[Any]) -> None:
    register(client, "ada@example.com")
    for n in range(12):  # a new forged address each time would dodge the limit if it were believed
        _login(client, "ada@example.com", "wrong password", f"203.0.113.{n}")
    assert _login(client, "ada@example.com", PASSWORD, "192.0.2.99").status_code == 429
