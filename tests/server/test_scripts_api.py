"""Scripts through the API: ``type: script`` writes one; a ``video`` with ``scenes`` renders one, cut by scene."""

from __future__ import annotations

import json
from typing import Any

import pytest
from litestar.testing import TestClient
from tests.server.conftest import auth, register
from tests.server.video_support import VIDEO_REQUEST, final_status, load, server_fake_catalog

from oasis_core.catalog import PortKind, ProviderCatalog
from oasis_core.domain.catalogue import Category
from oasis_core.domain.media import Quote
from oasis_core.testing.fakes import WORD_SECONDS
from oasis_server.api.context import ServerContext


class QuotesOnlyLanguageModel:
    """A language model without the script capability."""

    id = "quotes-only"
    name = "Quotes only"
    needs_key = None
    key_env_var = None

    def __init__(self, config: Any) -> None:
        self.config = config

    def write_quote(self, category: Category, *, avoid: Any = ()) -> Quote:
        return Quote("Only quotes.")

    def write_visual_prompt(self, text: str, category: Category, style: Any) -> str:
        return text


@pytest.fixture
def server_catalog() -> ProviderCatalog:
    catalog = server_fake_catalog()
    catalog.add(PortKind.LLM, QuotesOnlyLanguageModel, plugin="tests")
    return catalog


@pytest.fixture
def token(client: TestClient[Any]) -> str:
    return register(client, "ada@example.com")[0]


def generate(client: TestClient[Any], token: str, **body: Any) -> Any:
    return client.post("/api/video/generate", json=body, headers=auth(token))


def test_a_script_is_written_for_a_topic(client: TestClient[Any], token: str) -> None:
    answer = generate(client, token, type="script", topic="why sleep matters", length=40, language="en")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"content", "scenes", "provider", "usage"}
    assert body["provider"] == "fake-llm"
    assert body["content"] == " ".join(scene["text"] for scene in body["scenes"])
    assert len(body["content"].split()) == 40 * 2.5
    for scene in body["scenes"]:
        assert set(scene) == {"text", "visual_prompt", "search_terms"}
        assert scene["visual_prompt"] and scene["search_terms"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"topic": "sleep", "length": 10}, "length"),
        ({"topic": "sleep", "length": 91}, "length"),
        ({"topic": "sleep", "length": "long"}, "length"),
        ({"topic": ""}, "topic"),
        ({"topic": "t" * 201}, "topic"),
        ({}, "topic"),
        ({"topic": "sleep", "category": "astrology"}, "category"),
        ({"topic": "sleep", "language": "!!"}, "language"),
        ({"topic": "sleep", "scenes": []}, "scenes"),
        ({"topic": "sleep", "providers": {"llm": "nope"}}, "nope"),
        ({"topic": "sleep", "providers": {"llm": "quotes-only"}}, "cannot write scripts"),
    ],
)
def test_a_bad_script_request_is_a_400_naming_the_field(
    client: TestClient[Any], token: str, body: dict[str, Any], needle: str
) -> None:
    answer = generate(client, token, type="script", **body)
    assert answer.status_code == 400, answer.text
    assert needle in answer.text


SCENES = [
    {"text": "Sleep is when the body repairs itself.", "visual_prompt": "a quiet bedroom at night"},
    {"text": "Skip it, and your focus fades by noon.", "visuals": {"source": "procedural"}},
    {
        "text": "So go to bed on time tonight.",
        "visual_prompt": "a moon over rooftops",
        "search_terms": ["moon"],
    },
]


def test_a_video_of_scenes_is_cut_at_each_scenes_first_word(
    client: TestClient[Any], token: str, context: ServerContext
) -> None:
    body = {**VIDEO_REQUEST, "scenes": SCENES, "visual_prompt": "a calm night sky"}
    del body["content"]
    accepted = client.post("/api/video/generate", json=body, headers=auth(token))
    assert accepted.status_code == 202, accepted.text
    video_id = accepted.json()["id"]
    status = final_status(client, token, video_id)
    assert status["status"] == "completed", status
    video = load(context, video_id)
    assert video is not None
    texts = [scene["text"] for scene in SCENES]
    assert video.content == " ".join(texts)
    assert [s["visual_prompt"] for s in video.scenes or []] == [
        "a quiet bedroom at night",
        "",
        "a moon over rooftops",
    ]
    shown = client.get(f"/api/video/{video_id}", headers=auth(token)).json()
    assert [scene["text"] for scene in shown["scenes"]] == texts
    assert shown["scenes"][1]["search_terms"] == []
    assert shown["scenes"][2] == {
        "text": texts[2],
        "visual_prompt": "a moon over rooftops",
        "search_terms": ["moon"],
    }
    listed = client.get("/api/video/list", headers=auth(token)).json()["items"]
    assert listed[0]["scenes"] == shown["scenes"]
    one_text = client.post("/api/video/generate", json=VIDEO_REQUEST, headers=auth(token)).json()["id"]
    assert client.get(f"/api/video/{one_text}", headers=auth(token)).json()["scenes"] is None
    described = json.loads(client.get(status["url"]).content)
    first_words = [0, len(texts[0].split()), len(texts[0].split()) + len(texts[1].split())]
    starts = [start for start, _ in described["scenes"]]
    assert starts == pytest.approx([index * WORD_SECONDS for index in first_words])
    scene_of_word = [n for n, text in enumerate(texts) for _ in text.split()]
    spoken = 0
    for phrase in described["phrases"]:
        assert len({scene_of_word[spoken + k] for k in range(len(phrase))}) == 1, phrase
        spoken += len(phrase)


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"content": "Both at once."}, "content or scenes"),
        ({"scenes": []}, "scenes"),
        ({"scenes": [{"text": ""}]}, "scenes"),
        ({"scenes": [{"text": "x" * 501}]}, "scenes"),
        ({"scenes": [{"text": "Hi.", "colour": "red"}]}, "colour"),
        ({"scenes": [{"text": "Hi.", "visuals": {"source": "pexels"}}]}, "scenes[0].visuals.source"),
        ({"scenes": [{"text": "Hi."}] * 21}, "scenes"),
        ({"scenes": [{"text": "Hi.", "search_terms": ["t"] * 9}]}, "search_terms"),
        ({"scenes": None}, "content"),
    ],
)
def test_a_bad_video_of_scenes_is_a_400_naming_the_field(
    client: TestClient[Any], token: str, change: dict[str, Any], needle: str
) -> None:
    body = {**VIDEO_REQUEST, "scenes": SCENES, **change}
    if "content" not in change:
        del body["content"]
    answer = client.post("/api/video/generate", json=body, headers=auth(token))
    assert answer.status_code == 400, answer.text
    assert needle in answer.text


def test_the_schema_describes_scripts_and_scenes(client: TestClient[Any]) -> None:
    document = client.get("/schema/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert {"ScriptIn", "SceneIn", "ScriptSceneOut", "GenerateOut"} <= set(schemas)
    assert "scenes" in schemas["VideoIn"]["properties"]
    answers = json.dumps(document["paths"]["/api/video/generate"]["post"]["responses"]["200"])
    assert "GenerateOut" in answers
    assert {"content", "scenes", "author", "provider", "usage"} <= set(schemas["GenerateOut"]["properties"])
