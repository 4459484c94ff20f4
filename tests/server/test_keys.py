"""``/api/keys``: saving, listing, testing and deleting a user's own provider keys."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from sqlalchemy import text
from tests.server.conftest import auth, build_context, register

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.errors import NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.testing.fakes import FakeLanguageModel, FakeSpeechEngine, fake_catalog
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext
from oasis_server.key_testing import check_key, key_checker, key_names

GOOD = "good-0123456789abcdefWXYZ"
BAD = "bad-secret-value-0123456789"
SLOW = "slow-secret-value-987654321"
DOWN = "down-secret-value-55555555"
OOPS = "oops-secret-value-44444444"
CRASH = "crash-secret-value-3333333"
RELEASE = threading.Event()


class KeyedLanguageModel(FakeLanguageModel):
    """A fake that needs an ``acme`` key and checks it by its prefix."""

    id: ClassVar[str] = "keyed"
    name: ClassVar[str] = "Acme writer"
    needs_key: ClassVar[str | None] = "acme"
    key_env_var: ClassVar[str | None] = "ACME_API_KEY"
    checked: ClassVar[list[str | None]] = []

    @classmethod
    def verify_key(cls, config: ProviderConfig) -> str:
        key = config.key or ""
        cls.checked.append(key)
        if key.startswith("good-"):
            return "Acme knows this key (team: testers)"
        if key.startswith("bad-"):
            raise NeedsCredentials(
                f"Incorrect API key provided: {key}"
            )  # echoes the key, as some services do
        if key.startswith("slow-"):
            raise RetryableProviderError("Rate limit reached for requests", retry_after=7)
        if key.startswith("down-"):
            raise RetryableProviderError("Connection refused by api.acme.test")
        if key.startswith("oops-"):
            raise ProviderError("Acme answered 500 Internal Server Error")
        if key.startswith("hang-"):
            RELEASE.wait(10)
            return "too late"
        raise RuntimeError(f"plugin bug while handling {key}")


class UncheckedSpeechEngine(FakeSpeechEngine):
    """Needs a ``nocheck`` key but cannot check one."""

    id: ClassVar[str] = "unchecked"
    name: ClassVar[str] = "Unchecked voice"
    needs_key: ClassVar[str | None] = "nocheck"
    key_env_var: ClassVar[str | None] = None

    def verify_key(self, config: ProviderConfig) -> str:  # an instance method: not a usable check
        raise AssertionError("never called")


def keyed_catalog() -> ProviderCatalog:
    catalog = fake_catalog()
    catalog.add(PortKind.LLM, KeyedLanguageModel, plugin="acme_plugin", version="1.0")
    catalog.add(PortKind.SPEECH, UncheckedSpeechEngine, plugin="acme_plugin", version="1.0")
    return catalog


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    """The server's catalog holds a provider that needs (and can check) an ``acme`` key."""
    KeyedLanguageModel.checked.clear()
    return keyed_catalog()


@pytest.fixture
def token(client: TestClient[Any]) -> str:
    return register(client, "ada@example.com")[0]


def save(client: TestClient[Any], token: str, provider: str, key: str) -> Any:
    return client.post("/api/keys", json={"provider": provider, "api_key": key}, headers=auth(token))


def raw_keys(context: ServerContext) -> list[tuple[str, str, str, str, str | None]]:
    with context.engine.connect() as conn:
        rows = conn.execute(text("SELECT user_id, provider, api_key, status, message FROM api_keys"))
        return [tuple(row) for row in rows]


def test_routes_need_a_token(client: TestClient[Any]) -> None:
    assert client.get("/api/keys").status_code == 401
    assert client.post("/api/keys", json={"provider": "acme", "api_key": GOOD}).status_code == 401
    assert client.post("/api/keys/test", json={"provider": "acme"}).status_code == 401
    assert client.delete("/api/keys/acme").status_code == 401


def test_an_empty_list_to_start_with(client: TestClient[Any], token: str) -> None:
    response = client.get("/api/keys", headers=auth(token))
    assert response.status_code == 200
    assert response.json() == {"items": []}


def test_save_stores_the_key_encrypted_and_shows_only_a_hint(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    response = save(client, token, "acme", GOOD)
    assert response.status_code == 200, response.text
    assert GOOD not in response.text
    [item] = response.json()["items"]
    assert item["provider"] == "acme"
    assert item["key_hint"] == "…WXYZ"
    assert item["status"] == "untested"
    assert item["last_tested"] is None
    assert item["created_at"] and item["updated_at"]
    assert client.get("/api/keys", headers=auth(token)).json()["items"] == [item]

    [(_, provider, stored, status, _)] = raw_keys(context)
    assert provider == "acme" and status == "untested"
    assert GOOD not in stored and "0123456789" not in stored
    assert context.secrets.decrypt(stored) == GOOD


def test_whitespace_around_a_pasted_key_is_trimmed(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    assert save(client, token, "acme", f"  {GOOD}\n").status_code == 200
    assert context.secrets.decrypt(raw_keys(context)[0][2]) == GOOD


def test_several_keys_at_once(client: TestClient[Any], token: str, context: ServerContext) -> None:
    response = client.post(
        "/api/keys", json={"keys": {"acme": GOOD, "nocheck": "plain-key-12345678"}}, headers=auth(token)
    )
    assert response.status_code == 200, response.text
    assert [(i["provider"], i["key_hint"]) for i in response.json()["items"]] == [
        ("acme", "…WXYZ"),
        ("nocheck", "…5678"),
    ]
    assert len(raw_keys(context)) == 2


def test_an_unknown_provider_is_refused_listing_the_known_ones(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    response = save(client, token, "openai-typo", GOOD)
    assert response.status_code == 400
    body = response.json()
    assert "openai-typo" in body["error"] and "acme" in body["error"] and "nocheck" in body["error"]
    assert GOOD not in response.text
    # one unknown name in a batch saves nothing
    response = client.post("/api/keys", json={"keys": {"acme": GOOD, "nope": GOOD}}, headers=auth(token))
    assert response.status_code == 400
    assert raw_keys(context) == []


def test_with_no_keyed_provider_installed_the_error_says_so(api_env: dict[str, str]) -> None:
    ctx = build_context(api_env, catalog=fake_catalog())
    try:
        with TestClient(create_app(context=ctx)) as client:
            token = register(client, "ada@example.com")[0]
            response = save(client, token, "openai", GOOD)
            assert response.status_code == 400
            assert "no installed provider uses API keys" in response.json()["error"]
    finally:
        ctx.close()


@pytest.mark.parametrize(
    "body",
    [
        {"provider": "acme", "api_key": "has space-inside"},
        {"provider": "acme", "api_key": "tab\tinside"},
        {"provider": "acme", "api_key": "   "},
        {"provider": "acme", "api_key": ""},
        {"provider": "acme", "api_key": "x" * 501},
        {"provider": "acme"},
        {"api_key": GOOD},
        {},
        {"provider": "acme", "api_key": GOOD, "keys": {"acme": GOOD}},
        {"keys": {}},
        {"provider": "acme", "api_key": GOOD, "extra": 1},
        {"provider": "", "api_key": GOOD},
        {"provider": "a" * 51, "api_key": GOOD},
    ],
)
def test_malformed_saves_are_400(
    client: TestClient[Any], token: str, context: ServerContext, body: dict[str, Any]
) -> None:
    response = client.post("/api/keys", json=body, headers=auth(token))
    assert response.status_code == 400, response.text
    assert "error" in response.json()
    assert raw_keys(context) == []


def test_a_500_character_key_is_accepted(client: TestClient[Any], token: str) -> None:
    assert save(client, token, "acme", "k" * 500).status_code == 200


def test_testing_a_good_key_records_success(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    save(client, token, "acme", GOOD)
    response = client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provider"] == "acme"
    assert body["status"] == "success"
    assert body["message"] == "Acme knows this key (team: testers)"
    assert body["last_tested"]
    assert KeyedLanguageModel.checked == [GOOD]  # the provider was called with the user's key
    [item] = client.get("/api/keys", headers=auth(token)).json()["items"]
    assert item["status"] == "success" and item["last_tested"] == body["last_tested"]
    assert raw_keys(context)[0][3:] == ("success", "Acme knows this key (team: testers)")


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (BAD, ["refused", "check it"]),
        (SLOW, ["rate limiting", "7 seconds"]),
        (DOWN, ["Could not reach", "network"]),
        (OOPS, ["500 Internal Server Error"]),
        (CRASH, ["unexpectedly", "RuntimeError"]),
    ],
)
def test_failures_are_recorded_with_a_message_that_says_what_went_wrong(
    client: TestClient[Any],
    token: str,
    context: ServerContext,
    caplog: pytest.LogCaptureFixture,
    key: str,
    words: list[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    save(client, token, "acme", key)
    response = client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "failed"
    for word in words:
        assert word in body["message"]
    assert key not in response.text
    assert key not in caplog.text
    status, message = raw_keys(context)[0][3:]
    assert status == "failed" and message == body["message"]


def test_the_key_a_provider_echoes_is_masked(client: TestClient[Any], token: str) -> None:
    save(client, token, "acme", BAD)
    message = client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token)).json()["message"]
    assert "Incorrect API key provided: …6789" in message


def test_the_three_kinds_of_failure_read_differently(client: TestClient[Any], token: str) -> None:
    messages = []
    for key in (BAD, SLOW, DOWN):
        save(client, token, "acme", key)
        messages.append(
            client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token)).json()["message"]
        )
    leads = ["Acme writer refused this key", "Acme writer is rate limiting", "Could not reach Acme writer"]
    for message, lead in zip(messages, leads, strict=True):
        assert message.startswith(lead)
        assert [other for other in leads if other in message] == [lead]


def test_a_key_no_provider_can_check_fails_saying_so(client: TestClient[Any], token: str) -> None:
    save(client, token, "nocheck", "plain-key-12345678")
    body = client.post("/api/keys/test", json={"provider": "nocheck"}, headers=auth(token)).json()
    assert body["status"] == "failed"
    assert "No installed provider can check a nocheck key" in body["message"]


def test_testing_without_a_saved_key_is_404(client: TestClient[Any], token: str) -> None:
    assert client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token)).status_code == 404
    response = client.post("/api/keys/test", json={"provider": "acme", "x": 1}, headers=auth(token))
    assert response.status_code == 400


def test_saving_again_replaces_the_key_and_resets_its_status(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    save(client, token, "acme", GOOD)
    client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token))
    first = client.get("/api/keys", headers=auth(token)).json()["items"][0]
    assert first["status"] == "success"

    response = save(client, token, "acme", BAD)
    [item] = response.json()["items"]
    assert item["status"] == "untested"
    assert item["last_tested"] is None
    assert item["message"] is None
    assert item["key_hint"] == "…6789"
    assert item["created_at"] == first["created_at"]
    assert datetime.fromisoformat(item["updated_at"]) >= datetime.fromisoformat(first["updated_at"])
    assert client.get("/api/keys", headers=auth(token)).json()["items"] == [item]
    [row] = raw_keys(context)
    assert context.secrets.decrypt(row[2]) == BAD


def test_users_keys_are_separate(client: TestClient[Any], token: str, context: ServerContext) -> None:
    other = register(client, "bob@example.com")[0]
    save(client, token, "acme", GOOD)
    assert client.get("/api/keys", headers=auth(other)).json() == {"items": []}
    assert client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(other)).status_code == 404
    assert client.delete("/api/keys/acme", headers=auth(other)).status_code == 404
    assert len(client.get("/api/keys", headers=auth(token)).json()["items"]) == 1

    save(client, other, "acme", BAD)
    assert client.get("/api/keys", headers=auth(token)).json()["items"][0]["key_hint"] == "…WXYZ"
    assert client.get("/api/keys", headers=auth(other)).json()["items"][0]["key_hint"] == "…6789"
    assert len(raw_keys(context)) == 2


def test_delete(client: TestClient[Any], token: str, context: ServerContext) -> None:
    save(client, token, "acme", GOOD)
    response = client.delete("/api/keys/acme", headers=auth(token))
    assert response.status_code == 204
    assert response.content == b""
    assert client.get("/api/keys", headers=auth(token)).json() == {"items": []}
    assert raw_keys(context) == []
    assert client.delete("/api/keys/acme", headers=auth(token)).status_code == 404


def test_no_response_and_no_log_line_ever_holds_a_key(
    client: TestClient[Any], token: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    secrets = [GOOD, BAD, SLOW, "plain-key-12345678"]
    texts = [
        save(client, token, "acme", GOOD).text,
        client.post(
            "/api/keys", json={"keys": {"acme": BAD, "nocheck": "plain-key-12345678"}}, headers=auth(token)
        ).text,
        client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token)).text,
        client.post("/api/keys/test", json={"provider": "nocheck"}, headers=auth(token)).text,
        save(client, token, "acme", SLOW).text,
        client.post("/api/keys/test", json={"provider": "acme"}, headers=auth(token)).text,
        client.get("/api/keys", headers=auth(token)).text,
        save(client, token, "unknown", GOOD).text,
        save(client, token, "acme", GOOD + " x").text,
        client.get("/schema/openapi.json").text,
    ]
    for secret in secrets:
        for body in texts:
            assert secret not in body
        assert secret not in caplog.text


# The check itself, without HTTP


def test_key_names_and_checker_come_from_the_catalog() -> None:
    catalog = keyed_catalog()
    assert key_names(catalog) == ("acme", "nocheck")
    checker = key_checker(catalog, "acme")
    assert checker is not None and checker.id == "keyed"
    assert key_checker(catalog, "nocheck") is None  # an instance method is not a check
    assert key_checker(catalog, "other") is None


def test_a_check_that_hangs_times_out_as_a_network_failure() -> None:
    RELEASE.clear()
    try:
        outcome = check_key(keyed_catalog(), "acme", "hang-0000000000", timeout=0.2)
    finally:
        RELEASE.set()
    assert not outcome.ok
    assert "did not answer within 0.2 seconds" in outcome.message
    assert outcome.status == "failed"


def test_an_escaping_socket_error_reads_as_a_network_failure() -> None:
    class SocketyModel(KeyedLanguageModel):
        id: ClassVar[str] = "sockety"
        needs_key: ClassVar[str | None] = "sock"

        @classmethod
        def verify_key(cls, config: ProviderConfig) -> str:
            raise ConnectionResetError(f"reset while sending {config.key}")

    catalog = fake_catalog()
    catalog.add(PortKind.LLM, SocketyModel)
    outcome = check_key(catalog, "sock", "sock-key-123456789")
    assert not outcome.ok
    assert "network trouble" in outcome.message and "sock-key-123456789" not in outcome.message


def test_a_short_key_echoed_by_the_provider_is_dropped_from_the_message() -> None:
    outcome = check_key(keyed_catalog(), "acme", "bad-7")
    assert not outcome.ok
    assert "bad-7" not in outcome.message
    assert "refused" in outcome.message


def test_long_messages_are_clipped_to_the_column() -> None:
    class Wordy(KeyedLanguageModel):
        id: ClassVar[str] = "wordy"
        needs_key: ClassVar[str | None] = "wordy"

        @classmethod
        def verify_key(cls, config: ProviderConfig) -> str:
            raise ProviderError("x" * 2000)

    catalog = fake_catalog()
    catalog.add(PortKind.LLM, Wordy)
    outcome = check_key(catalog, "wordy", "any-key-123456")
    assert len(outcome.message) == 500


def test_the_schema_describes_the_key_routes_and_no_secret_travels_in_a_url(client: TestClient[Any]) -> None:
    schema = client.get("/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    operations = {op["operationId"] for path in paths.values() for op in path.values() if "operationId" in op}
    assert {"listKeys", "saveKeys", "testKey", "deleteKey"} <= operations
    assert "requestBody" in paths["/api/keys"]["post"] and "requestBody" in paths["/api/keys/test"]["post"]
    query = {
        parameter["name"]
        for route, path in paths.items()
        if route.startswith("/api/keys")
        for op in path.values()
        if isinstance(op, dict)
        for parameter in op.get("parameters", [])
        if parameter.get("in") == "query"
    }
    assert not {name for name in query if any(word in name for word in ("key", "token", "secret"))}
