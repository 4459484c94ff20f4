"""The OpenAI script writer: structured output with a JSON schema, through the real SDK, on the fake API."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from tests.fakes.openai_api import FakeOpenAI, rate_limit_reply
from tests.fakes.openai_structured import check_response_format

from oasis_core.domain.catalogue import get_category
from oasis_core.errors import NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.openai import OpenAILanguageModel
from oasis_plugins.openai.script_format import response_format, script_size

KEY = "sk-test-key"


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeOpenAI]:
    api = FakeOpenAI(valid_keys={KEY})
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def fake(fake_server: FakeOpenAI) -> FakeOpenAI:
    fake_server.reset()
    return fake_server


def writer(fake: FakeOpenAI, key: str = KEY) -> OpenAILanguageModel:
    return OpenAILanguageModel(
        ProviderConfig(key=key, settings={"base_url": fake.base_url, "max_retries": "0"})
    )


def test_the_script_is_asked_for_with_a_strict_json_schema_in_the_language(fake: FakeOpenAI) -> None:
    llm = writer(fake)
    script = llm.write_script("why sleep matters", get_category("hope"), length_seconds=40, language="fr")
    (request,) = fake.chat_requests()
    body = request.json()
    assert body["response_format"] == response_format()
    assert body["response_format"]["json_schema"]["strict"] is True
    user = body["messages"][-1]["content"]
    words, scenes = script_size(40)
    assert f"about {words} words" in user and f"in {scenes} scenes" in user
    assert "why sleep matters" in user and "fr" in user and "Hope" in user
    assert len(script.scenes) == scenes and script.language == "fr"
    assert all(scene.search_terms and scene.visual_prompt for scene in script.scenes)
    assert llm.usage["requests"] == 1 and llm.usage["input_tokens"] > 0 and llm.usage["output_tokens"] > 0


def test_the_schema_keeps_openais_strict_rules() -> None:
    body = {"messages": [{"role": "user", "content": "x"}], "response_format": response_format()}
    assert check_response_format(body) is None
    loose = json.loads(json.dumps(body))
    del loose["response_format"]["json_schema"]["schema"]["properties"]["scenes"]["items"][
        "additionalProperties"
    ]
    refused = check_response_format(loose)
    assert refused is not None and refused.status == 400


@pytest.mark.parametrize(
    "answer",
    [
        '{"scenes": [{"text": "Sleep is',  # cut off
        "Here is your script: sleep well.",
        '{"scenes": "none"}',
        '{"scenes": [{"text": "  ", "visual_prompt": "", "search_terms": []}]}',
    ],
)
def test_a_malformed_answer_is_a_provider_error(fake: FakeOpenAI, answer: str) -> None:
    fake.reply_with(answer)
    with pytest.raises(ProviderError) as error:
        writer(fake).write_script("why sleep matters", None, length_seconds=30)
    assert not isinstance(error.value, RetryableProviderError)


def test_markup_in_scene_texts_is_cleaned(fake: FakeOpenAI) -> None:
    scene = {"text": '**"Sleep heals."**', "visual_prompt": "A bed.", "search_terms": ["bed", " "]}
    fake.reply_with(json.dumps({"scenes": [scene, {**scene, "text": "# Rest more."}]}))
    script = writer(fake).write_script("sleep", None, length_seconds=15)
    assert [s.text for s in script.scenes] == ["Sleep heals.", "Rest more."]
    assert script.scenes[0].search_terms == ("bed",)


def test_failures_are_sorted_as_for_quotes(fake: FakeOpenAI) -> None:
    with pytest.raises(NeedsCredentials):
        writer(fake, key="sk-wrong-0123456789").write_script("sleep", None, length_seconds=15)
    fake.fail_next(rate_limit_reply())
    with pytest.raises(RetryableProviderError):
        writer(fake).write_script("sleep", None, length_seconds=15)
