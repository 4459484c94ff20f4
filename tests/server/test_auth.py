"""``/api/auth``: register, log in, verify, log out, and the rules that keep accounts safe."""

from __future__ import annotations

import base64
import json
import logging
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient
from sqlalchemy import delete, select, update
from tests.server.conftest import NO_DOTENV, PASSWORD, auth, build_context, register

from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.db.models import User
from oasis_server.security.passwords import PasswordHasher
from oasis_server.security.secret_box import generate_key
from oasis_server.security.tokens import TokenService
from oasis_server.settings import ConfigurationError, Settings

MAX_FAILURES = 3
ADDRESS_LIMIT = MAX_FAILURES * 5
USER_FIELDS = {"id", "name", "email", "role", "status", "created_at", "last_login", "avatar"}


@pytest.fixture
def api_env(tmp_path: Path) -> dict[str, str]:
    """Cheap bcrypt, and a low failure limit so throttling shows after a few attempts."""
    return {
        "OASIS_DATA_DIR": str(tmp_path / "data"),
        "OASIS_BCRYPT_ROUNDS": "4",
        "OASIS_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
        "OASIS_LOGIN_ADDRESS_MAX_FAILURES": str(ADDRESS_LIMIT),
    }


def login(client: TestClient[Any], email: str, password: str = PASSWORD) -> Any:
    return client.post("/api/auth/login", json={"email": email, "password": password})


def sign_up(client: TestClient[Any], email: str, password: str, name: str = "Someone") -> Any:
    return client.post("/api/auth/register", json={"name": name, "email": email, "password": password})


def set_status(context: ServerContext, email: str, status: str) -> None:
    with context.session() as session:
        session.execute(update(User).where(User.email == email).values(status=status))


def b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


# Registration


def test_register_answers_a_token_and_the_user(client: TestClient[Any], context: ServerContext) -> None:
    response = sign_up(client, "ada@example.com", PASSWORD, name="Ada Lovelace")
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"token", "expires_at", "user"}
    user = body["user"]
    assert set(user) == USER_FIELDS
    assert (user["name"], user["email"], user["status"], user["avatar"]) == (
        "Ada Lovelace",
        "ada@example.com",
        "active",
        None,
    )
    claims = jwt.decode(body["token"], context.settings.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == user["id"]
    assert claims["exp"] - claims["iat"] == int(timedelta(days=7).total_seconds())  # JWT_EXPIRES_IN default
    assert datetime.fromisoformat(body["expires_at"]) == datetime.fromtimestamp(claims["exp"], UTC)
    verify = client.get("/api/auth/verify", headers=auth(body["token"]))
    assert verify.status_code == 200
    assert verify.json()["user"]["id"] == user["id"]


def test_the_first_user_is_admin_and_later_ones_are_not(client: TestClient[Any]) -> None:
    assert register(client, "first@example.com")[1]["role"] == "admin"
    assert register(client, "second@example.com")[1]["role"] == "user"
    assert register(client, "third@example.com")[1]["role"] == "user"


def test_email_is_normalised(client: TestClient[Any]) -> None:
    response = sign_up(client, "  Ada.Lovelace@Example.COM ", PASSWORD)
    assert response.json()["user"]["email"] == "ada.lovelace@example.com"
    assert login(client, "ADA.lovelace@example.com  ").status_code == 200


def test_a_duplicate_email_is_409_whatever_its_case(client: TestClient[Any]) -> None:
    register(client, "ada@example.com")
    for email in ("ada@example.com", "ADA@Example.com", " ada@example.com"):
        response = sign_up(client, email, PASSWORD)
        assert response.status_code == 409
        assert response.json() == {"error": "An account with this email already exists"}


@pytest.mark.parametrize(
    ("password", "status"),
    [
        ("1234567", 400),  # 7 bytes
        ("12345678", 201),  # 8 bytes
        ("é" * 4, 201),  # 4 characters, 8 bytes
        ("é" * 36, 201),  # 72 bytes
        ("é" * 37, 400),  # 74 bytes, only 37 characters
        ("😀" * 18, 201),  # 72 bytes
        ("😀" * 19, 400),  # 76 bytes
        ("a" * 72, 201),
        ("a" * 73, 400),
        ("a" * 513, 400),  # over the wire limit
    ],
)
def test_password_length_is_counted_in_utf8_bytes(
    client: TestClient[Any], password: str, status: int
) -> None:
    response = sign_up(client, "ada@example.com", password)
    assert response.status_code == status, response.text
    if status == 201:
        assert login(client, "ada@example.com", password).status_code == 200


def test_passwords_that_share_72_bytes_are_not_interchangeable(client: TestClient[Any]) -> None:
    base = "x" * 72
    assert sign_up(client, "ada@example.com", base).status_code == 201
    assert login(client, "ada@example.com", base + "y").status_code == 400
    assert login(client, "ada@example.com", base[:-1]).status_code == 401


LONG_PASSWORDS = st.one_of(
    st.text(min_size=73, max_size=300),
    st.text(
        alphabet=st.characters(min_codepoint=0x80, exclude_categories=("Cs",)), min_size=37, max_size=120
    ),
    st.text(
        alphabet=st.characters(min_codepoint=0x10000, exclude_categories=("Cs",)), min_size=19, max_size=60
    ),
)


@pytest.mark.backends("sqlite")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(password=LONG_PASSWORDS)
def test_any_password_over_72_bytes_is_400_never_500(client: TestClient[Any], password: str) -> None:
    assert len(password.encode("utf-8")) > 72
    response = sign_up(client, "long@example.com", password)
    assert response.status_code == 400, response.text
    assert set(response.json()) <= {"error", "fields"}
    response = login(client, "long@example.com", password)
    assert response.status_code in {400, 429}, response.text  # never 500


def test_registration_can_be_turned_off(request: pytest.FixtureRequest, api_env: dict[str, str]) -> None:
    api_env["OASIS_ALLOW_SIGNUP"] = "false"
    client: TestClient[Any] = request.getfixturevalue("client")
    response = sign_up(client, "ada@example.com", PASSWORD)
    assert response.status_code == 403
    assert "turned off" in response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        {"name": "A", "email": "ada@example.com"},
        {"name": "A", "email": "not-an-email", "password": PASSWORD},
        {"name": "", "email": "ada@example.com", "password": PASSWORD},
        {"name": "A", "email": "ada@example.com", "password": PASSWORD, "role": "admin"},
    ],
)
def test_malformed_registrations_are_400(client: TestClient[Any], body: dict[str, Any]) -> None:
    response = client.post("/api/auth/register", json=body)
    assert response.status_code == 400
    assert "error" in response.json()


# Login


def test_login_answers_a_new_token_and_sets_last_login(client: TestClient[Any]) -> None:
    first_token, user = register(client, "ada@example.com")
    response = login(client, "ada@example.com")
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"token", "expires_at", "user"}
    assert body["token"] != first_token
    assert body["user"]["id"] == user["id"]
    assert body["user"]["last_login"] is not None
    assert client.get("/api/auth/verify", headers=auth(body["token"])).status_code == 200
    assert client.get("/api/auth/verify", headers=auth(first_token)).status_code == 200  # both sessions live


def test_unknown_email_and_wrong_password_get_the_same_answer(client: TestClient[Any]) -> None:
    register(client, "ada@example.com")
    unknown = login(client, "nobody@example.com", "wrong password")
    wrong = login(client, "ada@example.com", "wrong password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.content == wrong.content
    assert unknown.json() == {"error": "Invalid email or password"}
    assert unknown.headers.get("content-type") == wrong.headers.get("content-type")


@pytest.mark.backends("sqlite")
def test_unknown_email_and_wrong_password_take_similar_time(api_env: dict[str, str]) -> None:
    env = {
        **api_env,
        "OASIS_BCRYPT_ROUNDS": "10",
        "OASIS_LOGIN_MAX_FAILURES": "1000",
        "OASIS_LOGIN_ADDRESS_MAX_FAILURES": "1000",
    }
    ctx = build_context(env)
    with TestClient(create_app(context=ctx)) as client:
        register(client, "ada@example.com")
        login(client, "warm@example.com", "wrong password")  # the dummy hash is made on first use

        def timed(email: str) -> float:
            start = time.perf_counter()
            assert login(client, email, "wrong password").status_code == 401
            return time.perf_counter() - start

        unknown, wrong = [], []
        for _ in range(9):
            unknown.append(timed("nobody@example.com"))
            wrong.append(timed("ada@example.com"))
        fast, slow = sorted((statistics.median(unknown), statistics.median(wrong)))
    assert fast > 0.005  # bcrypt ran for both (cost 10 takes tens of milliseconds)
    assert (slow - fast) / slow < 0.3, (unknown, wrong)


@pytest.mark.parametrize("status", ["inactive", "pending"])
def test_an_inactive_or_pending_user_cannot_log_in(
    client: TestClient[Any], context: ServerContext, status: str
) -> None:
    register(client, "admin@example.com")
    register(client, "ada@example.com")
    set_status(context, "ada@example.com", status)
    response = login(client, "ada@example.com")
    assert response.status_code == 403
    assert status in response.json()["error"]
    # a wrong password says nothing about the account's status
    assert login(client, "ada@example.com", "wrong password").json() == {"error": "Invalid email or password"}


def test_failures_for_one_account_are_throttled(client: TestClient[Any]) -> None:
    register(client, "ada@example.com")
    for _ in range(MAX_FAILURES):
        assert login(client, "ada@example.com", "wrong password").status_code == 401
    response = login(client, "ada@example.com")  # even the right password now waits
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 900
    assert set(response.json()) == {"error"}
    assert login(client, "ADA@example.com").status_code == 429  # the same account, however it is written
    register(client, "bob@example.com")
    assert login(client, "bob@example.com").status_code == 200  # other accounts are not locked


def test_a_success_clears_the_account_counter(client: TestClient[Any]) -> None:
    register(client, "ada@example.com")
    for _ in range(2):
        for _ in range(MAX_FAILURES - 1):
            assert login(client, "ada@example.com", "wrong password").status_code == 401
        assert login(client, "ada@example.com").status_code == 200


def test_failures_from_one_address_are_throttled(client: TestClient[Any]) -> None:
    register(client, "ada@example.com")
    for n in range(ADDRESS_LIMIT):  # spread over many accounts, so no single account reaches its limit
        assert login(client, f"guess{n}@example.com", "wrong password").status_code == 401
    response = login(client, "ada@example.com")
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0


def test_login_refuses_malformed_bodies(client: TestClient[Any]) -> None:
    assert client.post("/api/auth/login", json={"email": "ada@example.com"}).status_code == 400
    assert (
        client.post(
            "/api/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 400
    )
    response = client.post("/api/auth/login", json={"email": "a@b.c", "password": "x", "remember": True})
    assert response.status_code == 400


def test_a_lower_cost_hash_is_upgraded_at_login(client: TestClient[Any], context: ServerContext) -> None:
    register(client, "ada@example.com")
    context.hasher = PasswordHasher(5)
    assert login(client, "ada@example.com").status_code == 200
    with context.sessions() as session:
        stored = session.scalar(select(User.password_hash).where(User.email == "ada@example.com"))
    assert stored is not None and stored.startswith("$2b$05$")
    assert login(client, "ada@example.com").status_code == 200


# Tokens


def test_verify_and_logout(client: TestClient[Any]) -> None:
    token, user = register(client, "ada@example.com")
    response = client.get("/api/auth/verify", headers=auth(token))
    assert response.status_code == 200
    shown = response.json()["user"]
    assert shown["created_at"][:19] == user["created_at"][:19]  # MariaDB keeps whole seconds
    assert shown | {"created_at": "", "last_login": ""} == user | {"created_at": "", "last_login": ""}
    response = client.post("/api/auth/logout", headers=auth(token))
    assert response.status_code == 204
    assert response.content == b""
    again = client.get("/api/auth/verify", headers=auth(token))
    assert again.status_code == 401
    assert client.post("/api/auth/logout", headers=auth(token)).status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer    "},
        {"Authorization": "Basic YWRhOnNlY3JldA=="},
        {"Authorization": "Bearer not.a.jwt"},
    ],
)
def test_missing_or_malformed_tokens_are_401(client: TestClient[Any], headers: dict[str, str]) -> None:
    response = client.get("/api/auth/verify", headers=headers)
    assert response.status_code == 401
    assert response.headers.get("www-authenticate") == "Bearer"
    assert set(response.json()) == {"error"}


def test_forged_tokens_are_401(client: TestClient[Any], context: ServerContext) -> None:
    token, _ = register(client, "ada@example.com")
    other_token, other = register(client, "bob@example.com")
    claims = jwt.decode(token, context.settings.jwt_secret, algorithms=["HS256"])
    header, _, signature = token.split(".")
    secret = context.settings.jwt_secret
    forged = {
        "payload swapped": f"{header}.{b64(claims | {'sub': other['id']})}.{signature}",
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "alg none, no signature": f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}.",
        "alg None capitalised": f"{b64({'alg': 'None', 'typ': 'JWT'})}.{b64(claims)}.",
        "wrong secret": jwt.encode(claims, "another-secret-that-is-long-enough-000", algorithm="HS256"),
        "another algorithm": jwt.encode(claims, secret, algorithm="HS512"),
        "sub of another user": jwt.encode(claims | {"sub": other["id"]}, secret, algorithm="HS256"),
        "no jti": jwt.encode({k: v for k, v in claims.items() if k != "jti"}, secret, algorithm="HS256"),
        "no exp": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, secret, algorithm="HS256"),
        "unknown jti": jwt.encode(
            claims | {"jti": "00000000-0000-0000-0000-000000000000"}, secret, algorithm="HS256"
        ),
        "expired": jwt.encode(
            claims | {"iat": claims["iat"] - 8 * 86400, "exp": claims["iat"] - 86400},
            secret,
            algorithm="HS256",
        ),
        "future nbf": jwt.encode(claims | {"nbf": claims["iat"] + 86400}, secret, algorithm="HS256"),
    }
    for name, bad in forged.items():
        response = client.get("/api/auth/verify", headers=auth(bad))
        assert response.status_code == 401, name
    assert client.get("/api/auth/verify", headers=auth(token)).status_code == 200
    assert client.get("/api/auth/verify", headers=auth(other_token)).json()["user"]["id"] == other["id"]


def test_an_expired_session_is_401(client: TestClient[Any], context: ServerContext) -> None:
    _, user = register(client, "ada@example.com")
    short = TokenService(context.settings.jwt_secret, timedelta(seconds=1))
    issued = short.issue(user["id"], datetime.now(UTC) - timedelta(hours=1))
    assert client.get("/api/auth/verify", headers=auth(issued.token)).status_code == 401


def test_a_token_signed_with_another_servers_secret_is_401(client: TestClient[Any]) -> None:
    _, user = register(client, "ada@example.com")
    stranger = TokenService("x" * 48, timedelta(days=1)).issue(user["id"], datetime.now(UTC))
    assert client.get("/api/auth/verify", headers=auth(stranger.token)).status_code == 401


def test_tokens_of_deleted_or_deactivated_users_are_401(
    client: TestClient[Any], context: ServerContext
) -> None:
    register(client, "admin@example.com")
    ada_token, _ = register(client, "ada@example.com")
    bob_token, _ = register(client, "bob@example.com")
    set_status(context, "ada@example.com", "inactive")
    with context.session() as session:
        session.execute(delete(User).where(User.email == "bob@example.com"))
    assert client.get("/api/auth/verify", headers=auth(ada_token)).status_code == 401
    assert client.get("/api/auth/verify", headers=auth(bob_token)).status_code == 401
    assert client.get("/api/keys", headers=auth(ada_token)).status_code == 401


def test_secrets_never_reach_the_logs(client: TestClient[Any], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token, _ = register(client, "ada@example.com")
    login(client, "ada@example.com", "a wrong password here")
    second = login(client, "ada@example.com").json()["token"]
    client.post("/api/auth/logout", headers=auth(second))
    for secret in (PASSWORD, "a wrong password here", token, second):
        assert secret not in caplog.text


# Settings


def test_bcrypt_cost_defaults_to_12(tmp_path: Path) -> None:
    env = {"OASIS_DATA_DIR": str(tmp_path / "data")}
    configured = Settings.from_env(env, dotenv=NO_DOTENV)
    assert configured.bcrypt_rounds == 12
    hashed = PasswordHasher(configured.bcrypt_rounds).hash(PASSWORD)
    assert hashed.startswith("$2b$12$")
    assert int(hashed.split("$")[2]) >= 10
    assert PasswordHasher().hash(PASSWORD).startswith("$2b$12$")


@pytest.mark.parametrize("variable", ["NODE_ENV", "OASIS_ENV"])
def test_production_needs_a_long_jwt_secret(tmp_path: Path, variable: str) -> None:
    env = {
        "OASIS_DATA_DIR": str(tmp_path / "data"),
        variable: "production",
        "OASIS_SECRET_KEYS": generate_key(),
    }
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        Settings.from_env(env, dotenv=NO_DOTENV)
    with pytest.raises(ConfigurationError, match="JWT_SECRET"):
        Settings.from_env(env | {"JWT_SECRET": "s" * 31}, dotenv=NO_DOTENV)
    with pytest.raises(ConfigurationError, match="OASIS_SECRET_KEYS"):
        Settings.from_env(
            {k: v for k, v in env.items() if k != "OASIS_SECRET_KEYS"} | {"JWT_SECRET": "s" * 32},
            dotenv=NO_DOTENV,
        )
    configured = Settings.from_env(env | {"JWT_SECRET": "s" * 32}, dotenv=NO_DOTENV)
    assert configured.production and configured.jwt_secret == "s" * 32
    assert not (tmp_path / "data" / "jwt-secret").exists()  # production never invents a secret


def test_development_generates_and_keeps_a_secret(tmp_path: Path) -> None:
    env = {"OASIS_DATA_DIR": str(tmp_path / "data")}
    first = Settings.from_env(env, dotenv=NO_DOTENV)
    second = Settings.from_env(env, dotenv=NO_DOTENV)
    assert len(first.jwt_secret) >= 32 and first.jwt_secret == second.jwt_secret
    with pytest.raises(ConfigurationError, match="too short"):
        Settings.from_env(env | {"JWT_SECRET": "short"}, dotenv=NO_DOTENV)
