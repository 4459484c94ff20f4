"""The ``openai`` plugin against a fake OpenAI server, through the real ``openai`` SDK."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.fakes.http_server import Reply
from tests.fakes.openai_api import (
    FakeOpenAI,
    malformed_reply,
    quota_reply,
    rate_limit_reply,
    server_error_reply,
)

from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import CATEGORIES, STYLES, get_category, get_style
from oasis_core.domain.media import ASPECTS, MAX_TEXT_LENGTH, Aspect, get_aspect
from oasis_core.errors import InvalidInput, NeedsCredentials, ProviderError, RetryableProviderError
from oasis_core.plugins import DEFAULT_PLUGINS, load_catalog
from oasis_core.ports.provider import ProviderConfig
from oasis_core.testing import LanguageModelContract, VisualSourceContract
from oasis_core.testing.media_files import image_size
from oasis_plugins.openai import OpenAILanguageModel, OpenAIVisualSource
from oasis_plugins.openai.language_model import MAX_PROMPT_LENGTH, clean_output, parse_quote
from oasis_plugins.openai.prompts import CATEGORY_BRIEFS, STYLE_BRIEFS, category_brief, style_brief
from oasis_plugins.openai.visual_source import plan_scenes

KEY = "sk-test-key"
WRONG_KEY = "sk-wrong-0123456789abcdef"
PORTRAIT, SQUARE, LANDSCAPE = get_aspect("9:16"), get_aspect("1:1"), get_aspect("16:9")
MOTIVATION = get_category("motivation")
PROMPT = "A lone tree on a hill at dawn, mist in the valley"


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
    """The module's fake OpenAI server, with nothing recorded or queued."""
    fake_server.reset()
    return fake_server


def config(
    fake: FakeOpenAI, *, key: str = KEY, cache_dir: Path | None = None, **extra: str
) -> ProviderConfig:
    settings = {"base_url": fake.base_url, "max_retries": "0", **extra}
    return ProviderConfig(key=key, settings=settings, cache_dir=cache_dir)


def language_model(fake: FakeOpenAI, **extra: str) -> OpenAILanguageModel:
    return OpenAILanguageModel(config(fake, **extra))


def visual_source(fake: FakeOpenAI, cache_dir: Path | None = None, **extra: str) -> OpenAIVisualSource:
    return OpenAIVisualSource(config(fake, cache_dir=cache_dir, **extra))


# -- contracts ---------------------------------------------------------------------------------------


class TestOpenAILanguageModelContract(LanguageModelContract):
    @pytest.fixture
    def provider(self, fake: FakeOpenAI) -> OpenAILanguageModel:
        return language_model(fake)


class TestOpenAIVisualSourceContract(VisualSourceContract):
    @pytest.fixture
    def provider(self, fake: FakeOpenAI) -> OpenAIVisualSource:
        return visual_source(fake)


# -- registration and settings -----------------------------------------------------------------------


def test_the_plugin_registers_both_providers_after_the_keyless_defaults() -> None:
    assert DEFAULT_PLUGINS.index("oasis_plugins.openai") > DEFAULT_PLUGINS.index("oasis_plugins.procedural")
    catalog = load_catalog(environ={"OASIS_LOAD_PLUGINS": "offline,procedural,openai"})
    assert catalog.ids(PortKind.LLM) == ("offline", "openai")
    assert catalog.ids(PortKind.VISUALS) == ("procedural", "openai")
    assert catalog.default_id(PortKind.LLM) == "offline"
    assert catalog.default_id(PortKind.VISUALS) == "procedural"
    info = catalog.info(PortKind.LLM, "openai")
    assert (info.needs_key, info.key_env_var) == ("openai", "OPENAI_API_KEY")
    environ = {"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "OASIS_OPENAI_MODEL": "llama3.2", "UNRELATED": "x"}
    assert info.settings_from(environ) == {"base_url": "http://127.0.0.1:1/v1", "model": "llama3.2"}
    images = catalog.info(PortKind.VISUALS, "openai")
    assert images.settings_from({"OASIS_OPENAI_IMAGE_MODEL": "dall-e-3"}) == {"image_model": "dall-e-3"}


def test_building_without_a_key_needs_credentials() -> None:
    with pytest.raises(NeedsCredentials, match="OPENAI_API_KEY"):
        OpenAILanguageModel(ProviderConfig())
    with pytest.raises(NeedsCredentials):
        OpenAIVisualSource(ProviderConfig(key=""))


@pytest.mark.parametrize("name, value", [("timeout", "soon"), ("timeout", "-1"), ("max_retries", "1.5")])
def test_malformed_settings_are_refused(fake: FakeOpenAI, name: str, value: str) -> None:
    with pytest.raises(InvalidInput) as info:
        language_model(fake, **{name: value})
    assert info.value.field == name


def test_the_request_carries_the_key_and_the_model_setting(fake: FakeOpenAI) -> None:
    language_model(fake, model="gpt-4.1-nano").write_quote(MOTIVATION)
    (request,) = fake.chat_requests()
    assert request.headers["authorization"] == f"Bearer {KEY}"
    body = request.json()
    assert body["model"] == "gpt-4.1-nano"
    assert "temperature" not in body
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert "Motivation" in body["messages"][1]["content"]


def test_the_default_model_is_a_small_current_one(fake: FakeOpenAI) -> None:
    language_model(fake, temperature="0.7").write_visual_prompt("Keep going.", MOTIVATION, STYLES[0])
    body = fake.chat_requests()[0].json()
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0.7


def test_nothing_is_taken_from_the_environment(fake: FakeOpenAI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    monkeypatch.setenv("OPENAI_ORG_ID", "org-from-env")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj-from-env")
    monkeypatch.setenv("OPENAI_ADMIN_KEY", "admin-from-env")
    language_model(fake).write_quote(MOTIVATION)
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    with pytest.raises(RetryableProviderError):  # no base_url setting: OpenAI's own address, not the variable
        OpenAILanguageModel(
            ProviderConfig(key=KEY, settings={"max_retries": "0", "timeout": "0.001"})
        ).write_quote(MOTIVATION)
    (request,) = fake.requests
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert "openai-organization" not in request.headers and "openai-project" not in request.headers


def test_organization_and_project_settings_become_headers(fake: FakeOpenAI) -> None:
    language_model(fake, organization="org-1", project="proj-1").write_quote(MOTIVATION)
    headers = fake.chat_requests()[0].headers
    assert (headers["openai-organization"], headers["openai-project"]) == ("org-1", "proj-1")


# -- failures ----------------------------------------------------------------------------------------


def test_a_refused_key_needs_credentials_without_showing_it(fake: FakeOpenAI) -> None:
    model = OpenAILanguageModel(config(fake, key=WRONG_KEY))
    with pytest.raises(NeedsCredentials) as info:
        model.write_quote(MOTIVATION)
    message = info.value.message
    assert "invalid" in message and "OpenAI" in message
    assert WRONG_KEY not in message and WRONG_KEY[-4:] not in message
    assert info.value.provider == "openai"
    assert fake.requests[0].headers["authorization"] == f"Bearer {WRONG_KEY}"


def test_a_forbidden_key_needs_credentials(fake: FakeOpenAI) -> None:
    fake.fail_next(
        Reply(403, {"error": {"message": "Project does not have access", "type": "x", "code": None}})
    )
    with pytest.raises(NeedsCredentials, match="not allowed"):
        language_model(fake).write_quote(MOTIVATION)


def test_a_rate_limit_is_retried_by_the_sdk_and_then_succeeds(fake: FakeOpenAI) -> None:
    fake.fail_next(rate_limit_reply("0.01"))
    model = language_model(fake, max_retries="2")
    started = time.monotonic()
    quote = model.write_quote(MOTIVATION)
    assert time.monotonic() - started < 1.0
    assert quote.text
    _first, second = fake.chat_requests()
    assert second.headers["x-stainless-retry-count"] == "1"
    assert model.usage["requests"] == 1


def test_a_rate_limit_that_persists_is_retryable_with_its_retry_after(fake: FakeOpenAI) -> None:
    fake.fail_next(rate_limit_reply("7"))
    with pytest.raises(RetryableProviderError) as info:
        language_model(fake).write_quote(MOTIVATION)
    assert info.value.retry_after == 7.0
    assert "rate limit" in info.value.message.lower()


def test_an_exhausted_quota_is_not_worth_retrying(fake: FakeOpenAI) -> None:
    fake.fail_next(quota_reply())
    with pytest.raises(ProviderError) as info:
        language_model(fake).write_quote(MOTIVATION)
    assert not isinstance(info.value, RetryableProviderError)
    assert "quota" in info.value.message


def test_server_errors_are_retried_then_retryable(fake: FakeOpenAI) -> None:
    fake.fail_next(server_error_reply(), server_error_reply(503))
    with pytest.raises(RetryableProviderError, match="HTTP 503"):
        language_model(fake, max_retries="1").write_quote(MOTIVATION)
    assert len(fake.chat_requests()) == 2


def test_a_slow_answer_times_out_as_retryable(fake: FakeOpenAI) -> None:
    fake.fail_next(Reply(200, {}, delay=1.0))
    started = time.monotonic()
    with pytest.raises(RetryableProviderError, match="in time"):
        language_model(fake, timeout="0.2").write_visual_prompt("Keep going.", MOTIVATION, STYLES[0])
    assert time.monotonic() - started < 0.9


def test_an_unreachable_server_is_retryable() -> None:
    unreachable = ProviderConfig(key=KEY, settings={"base_url": "http://127.0.0.1:1/v1", "max_retries": "0"})
    with pytest.raises(RetryableProviderError, match="reach"):
        OpenAILanguageModel(unreachable).write_quote(MOTIVATION)


@pytest.mark.parametrize(
    "reply",
    [
        malformed_reply(),
        Reply(200, raw=b"<html>Bad gateway</html>", headers={"Content-Type": "text/html"}),
        Reply(200, {"id": "x", "object": "chat.completion", "choices": []}),
        Reply(200, {"unexpected": True}),
        Reply(200, {"choices": [{"message": {"role": "assistant", "content": None}}]}),
        Reply(
            400, {"error": {"message": "Invalid 'messages'", "type": "invalid_request_error", "code": None}}
        ),
        Reply(
            404,
            {"error": {"message": "The model `nope` does not exist", "type": "x", "code": "model_not_found"}},
        ),
    ],
    ids=["malformed-json", "html", "no-choices", "wrong-shape", "null-content", "bad-request", "no-model"],
)
def test_unusable_answers_are_provider_errors(fake: FakeOpenAI, reply: Reply) -> None:
    fake.fail_next(reply)
    with pytest.raises(ProviderError) as info:
        language_model(fake).write_quote(MOTIVATION)
    assert not isinstance(info.value, RetryableProviderError | NeedsCredentials)
    assert KEY not in info.value.message


@pytest.mark.parametrize("answer", ["", "   ", "```\n\n```", '""', "**Quote:**"])
def test_an_empty_answer_is_a_provider_error(fake: FakeOpenAI, answer: str) -> None:
    fake.reply_with(answer, answer)
    with pytest.raises(ProviderError, match="empty"):
        language_model(fake).write_quote(MOTIVATION)
    with pytest.raises(ProviderError, match="empty"):
        language_model(fake).write_visual_prompt("Keep going.", MOTIVATION, STYLES[0])


# -- the language model ------------------------------------------------------------------------------


def test_usage_adds_up_requests_and_tokens(fake: FakeOpenAI) -> None:
    model = language_model(fake)
    model.write_quote(MOTIVATION)
    model.write_visual_prompt("Keep going.", MOTIVATION, STYLES[0])
    expected_input = expected_output = 0
    for request in fake.chat_requests():
        expected_input += sum(len(m["content"].split()) for m in request.json()["messages"])
    for number in (1, 2):
        expected_output += len(f"Step {number} is the one that counts, so take it today.".split())
    assert model.usage == {"requests": 2, "input_tokens": expected_input, "output_tokens": expected_output}


def test_the_avoid_list_is_in_the_prompt(fake: FakeOpenAI) -> None:
    language_model(fake).write_quote(MOTIVATION, avoid=["Alpha beta gamma.", "Delta epsilon."])
    content = fake.chat_requests()[0].json()["messages"][1]["content"]
    assert "Alpha beta gamma." in content and "Delta epsilon." in content


def test_an_answer_it_was_told_to_avoid_is_asked_for_again(fake: FakeOpenAI) -> None:
    fake.reply_with('{"text": "Stay hungry, stay foolish.", "author": "Steve Jobs"}', "Begin anew today.")
    quote = language_model(fake).write_quote(MOTIVATION, avoid=["stay hungry stay foolish"])
    assert quote.text == "Begin anew today."
    second = fake.chat_requests()[1].json()["messages"][1]["content"]
    assert "Stay hungry, stay foolish." in second


def test_a_json_answer_gives_text_and_author(fake: FakeOpenAI) -> None:
    fake.reply_with('```json\n{"text": "“The obstacle is the way.”", "author": "Marcus Aurelius"}\n```')
    quote = language_model(fake).write_quote(get_category("stoicism"))
    assert (quote.text, quote.author) == ("The obstacle is the way.", "Marcus Aurelius")


def test_content_original_asks_for_original_lines(fake: FakeOpenAI) -> None:
    language_model(fake, content="original").write_quote(MOTIVATION)
    assert "original line" in fake.chat_requests()[0].json()["messages"][1]["content"]
    with pytest.raises(InvalidInput):
        language_model(fake, content="poems")


def test_the_visual_prompt_request_names_the_text_mood_and_look(fake: FakeOpenAI) -> None:
    fake.reply_with("Prompt: **A lone oak** on a misty hill at dawn,\n\nsoft gold light.")
    prompt = language_model(fake).write_visual_prompt(
        "Plant a tree today.", get_category("wisdom"), get_style("nature")
    )
    assert prompt == "A lone oak on a misty hill at dawn, soft gold light."
    content = fake.chat_requests()[0].json()["messages"][1]["content"]
    assert "Plant a tree today." in content
    assert "contemplative" in content and get_style("nature").look in content


def test_every_category_and_style_has_its_own_brief() -> None:
    assert set(CATEGORY_BRIEFS) == {c.id for c in CATEGORIES}
    assert set(STYLE_BRIEFS) == {s.id for s in STYLES}
    briefs = [category_brief(c) for c in CATEGORIES] + [style_brief(s) for s in STYLES]
    assert len(set(briefs)) == len(briefs)
    for category in CATEGORIES:
        assert all(word in category_brief(category) for word in category.mood)
    for style in STYLES:
        assert style.look in style_brief(style)


@pytest.mark.parametrize(
    "answer, text, author",
    [
        ('{"text": "Be here now.", "author": null}', "Be here now.", None),
        ('{"quote": "Be here now.", "author": "Unknown"}', "Be here now.", None),
        ('Sure! {"text": "Act.", "author": "Seneca"} Hope it helps.', "Act.", "Seneca"),
        ('{"line": "Act now.", "author": "Seneca"}', "Act now.", "Seneca"),
        ('**Quote:** "Stay hungry, stay foolish." — Steve Jobs', "Stay hungry, stay foolish.", "Steve Jobs"),
        ('"The obstacle is the way."\n- Marcus Aurelius', "The obstacle is the way.", "Marcus Aurelius"),
        (
            "Here is a quote:\n\n> Fall seven times, stand up eight.\n> — Japanese proverb",
            "Fall seven times, stand up eight.",
            "Japanese proverb",
        ),
        ("Quote: Know thyself.\nAuthor: Socrates", "Know thyself.", "Socrates"),
        ("Do or do not - there is no try.", "Do or do not - there is no try.", None),
        ("Stay hungry - Stay foolish.", "Stay hungry - Stay foolish.", None),
        ("«Rien ne sert de courir.» — Jean de La Fontaine", "Rien ne sert de courir.", "Jean de La Fontaine"),
        (
            '{"text": "Love all, trust a few. — William Shakespeare"}',
            "Love all, trust a few.",
            "William Shakespeare",
        ),
    ],
)
def test_quotes_are_parsed_robustly(answer: str, text: str, author: str | None) -> None:
    quote = parse_quote(answer)
    assert (quote.text, quote.author) == (text, author)


# -- output cleaning, as properties ------------------------------------------------------------------

_LABELS = {"quote", "prompt", "text", "answer", "script", "caption", "description", "output"}
_WORD = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéü", min_size=1, max_size=12
).filter(
    lambda word: word.casefold() not in _LABELS  # a label alone on a line is dropped, as it should be
)
_PUNCT = st.sampled_from(["", "", "", ",", ".", "!", "?", ";"])
# A number then a full stop at the start of a line reads as a list item, so numbers take no full stop.
_NUMBER = st.builds(
    lambda n, p: n + p,
    st.text(alphabet="0123456789", min_size=1, max_size=4),
    st.sampled_from(["", ",", "!"]),
)


@st.composite
def clean_texts(draw: st.DrawFn) -> str:
    """Plain texts such as a model should answer: words, numbers and punctuation, single spaces."""
    words = [draw(_WORD) + draw(_PUNCT)]
    for _ in range(draw(st.integers(0, 30))):
        token = draw(
            st.one_of(
                _WORD.map(lambda w: w + draw(_PUNCT)),
                _NUMBER,
                st.builds(lambda a, b: f"{a}'{b}", _WORD, _WORD),
            )
        )
        words.append(token)
    return " ".join(words)


_PAIRS = [('"', '"'), ("“", "”"), ("„", "“"), ("«", "»"), ("« ", " »"), ("'", "'"), ("‘", "’"), ("「", "」")]
_DECORATIONS = [
    lambda t, d: (lambda pair: f"{pair[0]}{t}{pair[1]}")(d.draw(st.sampled_from(_PAIRS))),
    lambda t, d: f"**{t}**",
    lambda t, d: f"*{t}*",
    lambda t, d: t if t.startswith("`") else f"`{t}`",  # (three backticks would open a code block)
    lambda t, d: f"# {t}",
    lambda t, d: f"### {t}",
    lambda t, d: f"- {t}",
    lambda t, d: f"• {t}",
    lambda t, d: f"1. {t}",
    lambda t, d: f"> {t}",
    lambda t, d: (
        f"{d.draw(st.sampled_from(['Quote', 'Prompt', 'Visual prompt', 'QUOTE', 'Image prompt']))}: {t}"
    ),
    lambda t, d: f"**Quote:** {t}",
    lambda t, d: (
        d.draw(st.sampled_from([" ", "  ", "\n", "\t", " \n "]))
        + t
        + d.draw(st.sampled_from([" ", "\n\n", ""]))
    ),
]
_OUTER = [
    "{}",
    "```\n{}\n```",
    "```text\n{}\n```",
    "Here is your quote:\n\n{}",
    "Sure! Here's a prompt:\n{}\n",
]
"""What wraps the whole answer, once: a code fence or a preamble line."""


@settings(max_examples=80, deadline=None)
@given(clean=clean_texts(), data=st.data())
def test_cleaning_removes_whatever_wraps_a_clean_text(clean: str, data: st.DataObject) -> None:
    spacing = data.draw(st.sampled_from([" ", "  ", "\n", " \n", "\t"]))
    decorated = clean.replace(" ", spacing, data.draw(st.integers(0, 3)))  # line breaks and extra spaces
    for index in data.draw(st.lists(st.integers(0, len(_DECORATIONS) - 1), max_size=4)):
        decorated = _DECORATIONS[index](decorated, data)
    decorated = data.draw(st.sampled_from(_OUTER)).format(decorated)
    assert clean_output(decorated, MAX_TEXT_LENGTH) == clean


_WRAPPERS = ('"', "'", "“", "”", "«", "»", "*", "#", "`")


@settings(max_examples=150, deadline=None)
@given(raw=st.text(max_size=1500), limit=st.sampled_from([MAX_PROMPT_LENGTH, MAX_TEXT_LENGTH, 40]))
def test_cleaned_text_is_always_bounded_and_plain(raw: str, limit: int) -> None:
    cleaned = clean_output(raw, limit)
    assert len(cleaned) <= limit
    assert cleaned == cleaned.strip() and "\n" not in cleaned and "  " not in cleaned
    assert not cleaned.startswith(_WRAPPERS)


def test_long_texts_are_cut_at_a_sentence_then_a_word() -> None:
    sentence = "Keep walking forward every day. "
    cut = clean_output(sentence * 40, MAX_PROMPT_LENGTH)
    assert cut.endswith("day.") and len(cut) <= MAX_PROMPT_LENGTH
    words = clean_output("word " * 200, 42)
    assert words == " ".join(["word"] * 8)


# -- key check ---------------------------------------------------------------------------------------


def test_verify_key_lists_the_models(fake: FakeOpenAI) -> None:
    assert OpenAILanguageModel.verify_key(config(fake)) == "Key works: 6 models available"
    (request,) = fake.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["authorization"] == f"Bearer {KEY}"
    message = OpenAILanguageModel.verify_key(config(fake, model="llama3.2"))
    assert "'llama3.2' is not among them" in message


def test_verify_key_refuses_a_wrong_key(fake: FakeOpenAI) -> None:
    with pytest.raises(NeedsCredentials) as info:
        OpenAILanguageModel.verify_key(config(fake, key=WRONG_KEY))
    assert WRONG_KEY not in info.value.message and "invalid" in info.value.message


def test_verify_key_reports_a_rate_limit_at_once(fake: FakeOpenAI) -> None:
    fake.fail_next(rate_limit_reply("3"))
    with pytest.raises(RetryableProviderError) as info:
        OpenAILanguageModel.verify_key(config(fake, max_retries="5"))
    assert info.value.retry_after == 3.0
    assert len(fake.requests) == 1


# -- the visual source -------------------------------------------------------------------------------


def test_a_second_render_of_the_same_prompt_comes_from_the_cache(fake: FakeOpenAI, tmp_path: Path) -> None:
    source = visual_source(fake, cache_dir=tmp_path / "cache")
    first = source.create(PROMPT, get_style("minimal"), PORTRAIT, 6.0, tmp_path / "one")
    assert first.usage["images"] == 1 and first.usage["requests"] == 1 and first.usage["cached_images"] == 0
    again = visual_source(fake, cache_dir=tmp_path / "cache").create(
        PROMPT, get_style("minimal"), PORTRAIT, 6.0, tmp_path / "two"
    )
    assert len(fake.image_requests()) == 1
    assert again.usage == {"images": 0, "cached_images": 1, "requests": 0}
    assert again.scenes[0].image_path.read_bytes() == first.scenes[0].image_path.read_bytes()
    source.create(PROMPT, get_style("neon"), PORTRAIT, 6.0, tmp_path / "three")
    assert len(fake.image_requests()) == 2


def test_gpt_image_usage_tokens_are_reported(fake: FakeOpenAI, tmp_path: Path) -> None:
    visuals = visual_source(fake).create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    prompt = fake.image_requests()[0].json()["prompt"]
    assert visuals.usage["input_tokens"] == len(prompt.split())
    assert visuals.usage["output_tokens"] == 1056


@pytest.mark.parametrize(
    "model, aspect, size",
    [
        ("gpt-image-1", PORTRAIT, "1024x1536"),
        ("gpt-image-1", LANDSCAPE, "1536x1024"),
        ("gpt-image-1", SQUARE, "1024x1024"),
        ("dall-e-3", PORTRAIT, "1024x1792"),
        ("dall-e-3", LANDSCAPE, "1792x1024"),
        ("dall-e-3", SQUARE, "1024x1024"),
    ],
)
def test_each_model_gets_its_size_and_format(
    fake: FakeOpenAI, tmp_path: Path, model: str, aspect: Aspect, size: str
) -> None:
    visuals = visual_source(fake, image_model=model).create(PROMPT, STYLES[0], aspect, 5.0, tmp_path)
    body = fake.image_requests()[0].json()
    assert (body["model"], body["size"], body["n"]) == (model, size, 1)
    if model == "dall-e-3":
        assert body["response_format"] == "b64_json"
    else:
        assert "response_format" not in body
    width, height = image_size(visuals.scenes[0].image_path)
    assert width >= aspect.width * 1.1 and height >= aspect.height * 1.1


def test_the_quality_setting_is_sent(fake: FakeOpenAI, tmp_path: Path) -> None:
    visual_source(fake, image_quality="low").create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    visual_source(fake).create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    visual_source(fake, image_model="dall-e-3").create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    low, default, dall_e = (request.json() for request in fake.image_requests())
    assert (low["quality"], default["quality"]) == ("low", "medium")
    assert "quality" not in dall_e


def test_one_image_per_scene_each_with_its_words(fake: FakeOpenAI, tmp_path: Path) -> None:
    texts = ["The sea was calm.", "Then the storm came over the hills.", "At dawn the light returned."]
    style = get_style("cinematic")
    visuals = visual_source(fake).create(PROMPT, style, PORTRAIT, 15.0, tmp_path, scene_texts=texts)
    assert len(visuals.scenes) == 3 and visuals.usage["images"] == 3
    prompts = sorted(request.json()["prompt"] for request in fake.image_requests())
    for text in texts:
        (prompt,) = [p for p in prompts if text in p]
        assert PROMPT in prompt and style.look in prompt
    assert visuals.scenes[0].start == 0.0 and visuals.scenes[-1].end == 15.0
    for before, after in zip(visuals.scenes, visuals.scenes[1:], strict=False):
        assert before.end == after.start and after.start > before.start
    assert len({scene.image_path for scene in visuals.scenes}) == 3


def test_without_scene_texts_there_is_one_image(fake: FakeOpenAI, tmp_path: Path) -> None:
    visuals = visual_source(fake).create(PROMPT, STYLES[0], PORTRAIT, 30.0, tmp_path)
    assert len(visuals.scenes) == 1 and len(fake.image_requests()) == 1


@settings(max_examples=200, deadline=None)
@given(
    duration=st.floats(0.1, 300.0),
    texts=st.lists(st.text(min_size=0, max_size=80), max_size=20),
    max_images=st.integers(1, 8),
)
def test_scenes_cover_the_duration_in_order(duration: float, texts: list[str], max_images: int) -> None:
    plan = plan_scenes(duration, texts, max_images)
    assert 1 <= len(plan) <= max_images
    assert plan[0][0] == 0.0 and plan[-1][1] == duration
    for (_, end, _), (start, _, _) in itertools.pairwise(plan):
        assert end == start
    assert all(start < end for start, end, _ in plan)
    words = " ".join(" ".join(t.split()) for t in texts if t.strip())
    assert " ".join(text for _, _, text in plan if text) == words


def test_many_sentences_make_at_most_six_images(fake: FakeOpenAI, tmp_path: Path) -> None:
    texts = [f"Sentence number {n} is here." for n in range(14)]
    visuals = visual_source(fake).create(PROMPT, STYLES[0], SQUARE, 60.0, tmp_path, scene_texts=texts)
    assert len(visuals.scenes) == 6 == len(fake.image_requests())
    assert (
        len(
            visual_source(fake, max_images="2")
            .create(PROMPT, STYLES[1], SQUARE, 60.0, tmp_path, scene_texts=texts)
            .scenes
        )
        == 2
    )


def test_image_failures_map_to_oasis_errors(fake: FakeOpenAI, tmp_path: Path) -> None:
    with pytest.raises(NeedsCredentials):
        OpenAIVisualSource(config(fake, key=WRONG_KEY)).create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    fake.fail_next(
        Reply(
            400,
            {
                "error": {
                    "message": "Your request was rejected as a result of our safety system.",
                    "type": "image_generation_user_error",
                    "code": "content_policy_violation",
                }
            },
        )
    )
    with pytest.raises(ProviderError, match="safety system"):
        visual_source(fake).create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    fake.fail_next(rate_limit_reply("2"))
    with pytest.raises(RetryableProviderError):
        visual_source(fake).create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)


@pytest.mark.parametrize(
    "data",
    [
        [{"b64_json": "not base64!!"}],
        [{"b64_json": base64.b64encode(b"not an image").decode()}],
        [{"url": "https://example.invalid/image.png"}],
        [],
    ],
    ids=["bad-base64", "not-an-image", "url-only", "no-data"],
)
def test_unusable_image_answers_are_provider_errors(fake: FakeOpenAI, tmp_path: Path, data: Any) -> None:
    fake.fail_next(Reply(200, {"created": 1, "data": data}))
    with pytest.raises(ProviderError) as info:
        visual_source(fake, cache_dir=tmp_path / "cache").create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    assert not isinstance(info.value, RetryableProviderError)
    assert not list((tmp_path / "cache").rglob("*.img"))


def test_images_have_their_own_timeout(fake: FakeOpenAI, tmp_path: Path) -> None:
    fake.fail_next(Reply(200, {}, delay=1.0))
    source = visual_source(fake, timeout="0.05", image_timeout="0.2")
    started = time.monotonic()
    with pytest.raises(RetryableProviderError, match="in time"):
        source.create(PROMPT, STYLES[0], SQUARE, 5.0, tmp_path)
    assert 0.15 < time.monotonic() - started < 0.9
    with pytest.raises(InvalidInput):
        visual_source(fake, image_timeout="0")


def test_a_bad_duration_is_invalid_input(fake: FakeOpenAI, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput):
        visual_source(fake).create(PROMPT, STYLES[0], SQUARE, 0.0, tmp_path)
    assert not fake.requests


@pytest.mark.parametrize("aspect", ASPECTS, ids=lambda a: a.id)
def test_dall_e_3_images_cover_every_aspect(fake: FakeOpenAI, tmp_path: Path, aspect: Aspect) -> None:
    visuals = visual_source(fake, image_model="dall-e-3").create(PROMPT, STYLES[2], aspect, 5.0, tmp_path)
    width, height = image_size(visuals.scenes[0].image_path)
    assert width >= aspect.width and height >= aspect.height


def test_a_language_is_asked_for_in_the_prompt_and_checked_first(fake: FakeOpenAI) -> None:
    fake.reply_with('{"text": "Le commencement est la moitié de tout.", "author": "Platon"}')
    quote = language_model(fake).write_quote(MOTIVATION, language="fr-ca")
    assert quote.text == "Le commencement est la moitié de tout."
    (request,) = fake.chat_requests()
    assert "BCP 47 tag is fr-CA" in request.json()["messages"][1]["content"]
    language_model(fake).write_quote(MOTIVATION)
    assert "BCP 47" not in fake.chat_requests()[-1].json()["messages"][1]["content"]
    with pytest.raises(InvalidInput) as error:
        language_model(fake).write_quote(MOTIVATION, language="français")
    assert error.value.field == "language" and len(fake.chat_requests()) == 2
