"""``/api/providers`` and ``/api/plugins``."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from tests.server.conftest import auth, build_context, register

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.catalogue import CATEGORIES, STYLES
from oasis_core.domain.media import ASPECTS
from oasis_core.ports.speech_engine import Voice
from oasis_core.testing.fakes import FakeLanguageModel, FakeSpeechEngine, fake_catalog
from oasis_server.api.app import create_app
from oasis_server.api.context import ServerContext

PORTS = ("llm", "speech", "visuals", "publishers")


class CloudVoice(FakeSpeechEngine):
    """A speech engine that needs the server's openai key, registered before the keyless fake."""

    id: ClassVar[str] = "cloud-voice"
    name: ClassVar[str] = "Cloud voice"
    needs_key: ClassVar[str | None] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"
    keys_seen: ClassVar[list[str | None]] = []

    def voices(self) -> Sequence[Voice]:
        type(self).keys_seen.append(self.config.key)
        return [Voice("nova", "Nova", "en-US")]


class PaidVoice(FakeSpeechEngine):
    """Needs a key the server never has."""

    id: ClassVar[str] = "paid-voice"
    name: ClassVar[str] = "Paid voice"
    needs_key: ClassVar[str | None] = "paidco"
    key_env_var: ClassVar[str | None] = None

    def voices(self) -> Sequence[Voice]:
        raise AssertionError("a provider without a key is never asked")


class AccountVoice(FakeSpeechEngine):
    """Needs a key only users have; lists the voices of the account the key opens."""

    id: ClassVar[str] = "account-voice"
    name: ClassVar[str] = "Account voice"
    needs_key: ClassVar[str | None] = "accountco"
    key_env_var: ClassVar[str | None] = None
    keys_seen: ClassVar[list[str | None]] = []

    def voices(self) -> Sequence[Voice]:
        type(self).keys_seen.append(self.config.key)
        return [Voice(f"clone-of-{self.config.key}", "My cloned voice", "en")]


class BrokenVoice(FakeSpeechEngine):
    """A keyless engine whose voice list fails."""

    id: ClassVar[str] = "broken-voice"
    name: ClassVar[str] = "Broken voice"

    def voices(self) -> Sequence[Voice]:
        raise OSError("voice data missing")


class CountingVoice(FakeSpeechEngine):
    """Counts how often its voices are listed."""

    id: ClassVar[str] = "counting-voice"
    name: ClassVar[str] = "Counting voice"
    calls: ClassVar[int] = 0

    def voices(self) -> Sequence[Voice]:
        type(self).calls += 1
        return super().voices()


class KeyedWriter(FakeLanguageModel):
    id: ClassVar[str] = "keyed-writer"
    name: ClassVar[str] = "Keyed writer"
    needs_key: ClassVar[str | None] = "openai"
    key_env_var: ClassVar[str | None] = "OPENAI_API_KEY"


def custom_catalog() -> ProviderCatalog:
    catalog = ProviderCatalog()
    catalog.add(PortKind.LLM, KeyedWriter, plugin="acme_plugin", version="2.3.4")
    catalog.add(PortKind.SPEECH, CloudVoice, plugin="acme_plugin", version="2.3.4")
    base = fake_catalog()
    for info in base:
        catalog.add(info.kind, info.factory, plugin=info.plugin, version=info.plugin_version)
    for engine in (PaidVoice, AccountVoice, BrokenVoice, CountingVoice):
        catalog.add(PortKind.SPEECH, engine, plugin="acme_plugin", version="2.3.4")
    return catalog


@pytest.fixture
def custom_client(api_env: dict[str, str]) -> Iterator[TestClient[Any]]:
    CloudVoice.keys_seen.clear()
    AccountVoice.keys_seen.clear()
    CountingVoice.calls = 0
    env = {**api_env, "OPENAI_API_KEY": "sk-server-key-000000"}
    ctx = build_context(env, catalog=custom_catalog())
    with TestClient(create_app(context=ctx)) as client:  # its shutdown closes the context
        yield client


def test_both_routes_need_a_token(client: TestClient[Any]) -> None:
    assert client.get("/api/providers").status_code == 401
    assert client.get("/api/plugins").status_code == 401
    assert client.get("/api/providers", headers=auth("not-a-token")).status_code == 401


def test_providers_of_the_installed_plugins(client: TestClient[Any], context: ServerContext) -> None:
    token = register(client, "ada@example.com")[0]
    response = client.get("/api/providers", headers=auth(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {*PORTS, "categories", "styles", "voices", "aspects"}
    for port in PORTS:
        kind = PortKind(port)
        assert [item["id"] for item in body[port]] == list(context.catalog.ids(kind))
        for item in body[port]:
            extra = {"connect"} if port == "publishers" else set()
            assert set(item) == {"id", "name", "needs_key", "default", *extra}
            assert isinstance(item["name"], str) and item["name"]
            assert item["needs_key"] is None or isinstance(item["needs_key"], str)
    for port in ("llm", "speech", "visuals"):
        kind = PortKind(port)
        if context.catalog.ids(kind):
            defaults = [item["id"] for item in body[port] if item["default"]]
            assert defaults == [context.catalog.default_id(kind)]
    assert not any(item["default"] for item in body["publishers"])
    connect = {item["id"]: item["connect"] for item in body["publishers"]}
    assert connect == {  # the built-in publishers, as the dashboard offers them
        "youtube": ["oauth", "token"],
        "tiktok": ["oauth", "token"],
        "instagram": ["sign_in", "token"],
    }

    assert body["categories"] == [{"id": c.id, "name": c.name} for c in CATEGORIES]
    assert body["styles"] == [{"id": s.id, "name": s.name} for s in STYLES]
    assert body["aspects"] == [{"id": a.id, "width": a.width, "height": a.height} for a in ASPECTS]
    assert {"id": "9:16", "width": 1080, "height": 1920} in body["aspects"]
    speech_ids = {item["id"] for item in body["speech"]}
    assert set(body["voices"]) <= speech_ids
    for voices in body["voices"].values():
        for voice in voices:
            assert {"id", "name", "language"} <= set(voice) <= {"id", "name", "language", "licence"}


def test_defaults_and_voices_with_keyed_providers(custom_client: TestClient[Any]) -> None:
    token = register(custom_client, "ada@example.com")[0]
    body = custom_client.get("/api/providers", headers=auth(token)).json()

    llm = {item["id"]: item for item in body["llm"]}
    assert llm["keyed-writer"] == {
        "id": "keyed-writer",
        "name": "Keyed writer",
        "needs_key": "openai",
        "default": True,  # the server holds its key
    }
    assert llm["fake-llm"]["default"] is False
    speech_defaults = [item["id"] for item in body["speech"] if item["default"]]
    assert speech_defaults == ["cloud-voice"]
    assert body["visuals"] == [
        {"id": "fake-visuals", "name": body["visuals"][0]["name"], "needs_key": None, "default": True}
    ]

    voices = body["voices"]
    assert voices["cloud-voice"] == [{"id": "nova", "name": "Nova", "language": "en-US"}]
    assert CloudVoice.keys_seen == ["sk-server-key-000000"]  # built with the server's own key
    assert "paid-voice" not in voices  # needs a key the server lacks
    assert "account-voice" not in voices and AccountVoice.keys_seen == []
    assert "broken-voice" not in voices  # its list failed; the rest still answer
    assert [v["id"] for v in voices["fake-speech"]] == [v.id for v in FakeSpeechEngine().voices()]
    assert "sk-server-key" not in custom_client.get("/api/providers", headers=auth(token)).text


def test_a_users_own_key_lists_their_voices_and_only_theirs(custom_client: TestClient[Any]) -> None:
    ada = register(custom_client, "ada@example.com")[0]
    bob = register(custom_client, "bob@example.com")[0]
    saved = custom_client.post(
        "/api/keys", json={"provider": "accountco", "api_key": "ada-key-1234"}, headers=auth(ada)
    )
    assert saved.status_code == 200, saved.text
    for _ in range(2):
        voices = custom_client.get("/api/providers", headers=auth(ada)).json()["voices"]
        assert voices["account-voice"] == [
            {"id": "clone-of-ada-key-1234", "name": "My cloned voice", "language": "en"}
        ]
    assert AccountVoice.keys_seen == ["ada-key-1234"]  # listed once, then remembered
    assert "account-voice" not in custom_client.get("/api/providers", headers=auth(bob)).json()["voices"]


def test_the_listing_is_computed_once_per_process(custom_client: TestClient[Any]) -> None:
    token = register(custom_client, "ada@example.com")[0]
    first = custom_client.get("/api/providers", headers=auth(token)).json()
    second = custom_client.get("/api/providers", headers=auth(token)).json()
    assert first == second
    assert CountingVoice.calls == 1


def test_plugins_with_versions_and_their_providers(custom_client: TestClient[Any]) -> None:
    token = register(custom_client, "ada@example.com")[0]
    response = custom_client.get("/api/plugins", headers=auth(token))
    assert response.status_code == 200
    items = {item["name"]: item for item in response.json()["items"]}
    assert set(items) == {"acme_plugin", "oasis_core.testing"}
    acme = items["acme_plugin"]
    assert acme["version"] == "2.3.4"
    assert acme["providers"] == [
        {"kind": "llm", "id": "keyed-writer", "name": "Keyed writer"},
        {"kind": "speech", "id": "cloud-voice", "name": "Cloud voice"},
        {"kind": "speech", "id": "paid-voice", "name": "Paid voice"},
        {"kind": "speech", "id": "account-voice", "name": "Account voice"},
        {"kind": "speech", "id": "broken-voice", "name": "Broken voice"},
        {"kind": "speech", "id": "counting-voice", "name": "Counting voice"},
    ]
    kinds = {p["kind"] for p in items["oasis_core.testing"]["providers"]}
    assert kinds == {kind.value for kind in PortKind}


def test_plugins_of_the_default_install(client: TestClient[Any], context: ServerContext) -> None:
    token = register(client, "ada@example.com")[0]
    items = client.get("/api/plugins", headers=auth(token)).json()["items"]
    assert [item["name"] for item in items] == list(context.catalog.plugins())
    listed = {(p["kind"], p["id"]) for item in items for p in item["providers"]}
    assert listed == {(info.kind.value, info.id) for info in context.catalog}
