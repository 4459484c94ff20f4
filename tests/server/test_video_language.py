"""A video's language over HTTP: quotes written in it, the voice chosen by it, voices listed for it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select
from tests.server.conftest import auth, register
from tests.server.video_support import VIDEO_REQUEST, final_status, server_fake_catalog

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.ports.speech_engine import Voice
from oasis_core.testing import FakeSpeechEngine
from oasis_plugins.offline.language_model import OfflineLanguageModel
from oasis_server.api.context import ServerContext
from oasis_server.db.models import Video


class MultilingualSpeech(FakeSpeechEngine):
    """The fake speech engine with an English default and voices in French and Mandarin."""

    id: ClassVar[str] = "multi-speech"
    name: ClassVar[str] = "Multilingual fake speech"

    def voices(self) -> Sequence[Voice]:
        return (
            Voice("fake-a", "Fake A", "en-us"),
            Voice("fake-b", "Fake B", "fr-fr"),
            Voice("fake-c", "Fake C", "cmn"),
        )


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    catalog = server_fake_catalog()
    catalog.add(PortKind.SPEECH, MultilingualSpeech, plugin="tests")
    catalog.add(PortKind.LLM, OfflineLanguageModel, plugin="offline")
    return catalog


@pytest.fixture
def token(client: TestClient[Any]) -> str:
    return register(client, "ada@example.com")[0]


def generate(client: TestClient[Any], token: str, **body: Any) -> Any:
    return client.post("/api/video/generate", json=body, headers=auth(token))


def test_a_quote_is_written_in_the_language_asked_for(client: TestClient[Any], token: str) -> None:
    answer = generate(client, token, type="quote", category="hope", language="pt-br")
    assert answer.status_code == 200, answer.text
    assert answer.json()["content"] == "Fake hope quote number 1 (pt-BR)."


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"language": "fr", "providers": {"llm": "offline"}}, "choose from: en"),
        ({"language": "français"}, "not a language tag"),
        ({"language": "f"}, "language"),
    ],
)
def test_a_language_the_writer_lacks_or_a_bad_tag_is_a_400(
    client: TestClient[Any], token: str, body: dict[str, Any], needle: str
) -> None:
    answer = generate(client, token, type="quote", category="hope", **body)
    assert answer.status_code == 400, answer.text
    assert needle in answer.json()["error"]


def test_a_video_in_a_language_gets_the_first_voice_for_it(client: TestClient[Any], token: str) -> None:
    speech = {"speech": "multi-speech"}
    chosen = {}
    for language, voice in (("fr", None), ("zh", None), ("fr", "fake-a"), ("ja", None), (None, None)):
        extra = {k: v for k, v in (("language", language), ("voice", voice)) if v is not None}
        accepted = generate(client, token, **VIDEO_REQUEST, providers=speech, **extra)
        assert accepted.status_code == 202, accepted.text
        video_id = accepted.json()["id"]
        assert final_status(client, token, video_id)["status"] == "completed"
        chosen[(language, voice)] = client.get(f"/api/video/{video_id}", headers=auth(token)).json()["voice"]
    assert chosen == {
        ("fr", None): "fake-b",
        ("zh", None): "fake-c",
        ("fr", "fake-a"): "fake-a",  # a voice named wins
        ("ja", None): None,  # no Japanese voice: the engine's default speaks
        (None, None): None,
    }


def test_a_video_with_a_bad_language_is_refused_before_it_is_queued(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    answer = generate(client, token, **VIDEO_REQUEST, language="en_US")
    assert answer.status_code == 400 and "language" in answer.json()["error"]
    with context.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Video)) == 0


def test_providers_list_only_the_voices_for_a_language(client: TestClient[Any], token: str) -> None:
    every = client.get("/api/providers", headers=auth(token)).json()["voices"]
    assert [v["id"] for v in every["multi-speech"]] == ["fake-a", "fake-b", "fake-c"]
    french = client.get("/api/providers", params={"language": "fr-FR"}, headers=auth(token)).json()["voices"]
    assert [v["id"] for v in french["multi-speech"]] == ["fake-b"]
    assert french["fake-speech"] == []  # its voices are English
    chinese = client.get("/api/providers?language=zh", headers=auth(token)).json()["voices"]
    assert [v["id"] for v in chinese["multi-speech"]] == ["fake-c"]
    bad = client.get("/api/providers?language=no!", headers=auth(token))
    assert bad.status_code == 400 and "language" in bad.json()["error"]
