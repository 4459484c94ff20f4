"""A video's language: tags checked at the edge, the writer asked for it, the voice chosen by it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oasis_core import InvalidInput, Studio
from oasis_core.domain.catalogue import Category, get_category
from oasis_core.domain.language import (
    language_tag,
    matches_language,
    optional_language_tag,
    voice_for_language,
    voices_for_language,
)
from oasis_core.domain.media import Quote
from oasis_core.ports.language_model import model_languages, write_quote
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice
from oasis_core.services import RenderProviders, RenderRequest, generate_quote, render_video
from oasis_core.testing import (
    FakeCompositor,
    FakeLanguageModel,
    FakeSpeechEngine,
    FakeVisualSource,
    fake_catalog,
)
from oasis_core.testing.fakes import PortKind
from oasis_plugins.offline.language_model import OfflineLanguageModel

WISDOM = get_category("wisdom")
ESPEAK_LIKE = (
    Voice("en-us", "English (America)", "en-us"),
    Voice("en", "English (Great Britain)", "en-gb"),
    Voice("fr-be", "French (Belgium)", "fr-be"),
    Voice("fr", "French (France)", "fr-fr"),
    Voice("cmn", "Chinese (Mandarin)", "cmn"),
    Voice("yue", "Chinese (Cantonese)", "yue"),
    Voice("pt-br", "Portuguese (Brazil)", "pt-br"),
    Voice("ar", "Arabic", "ar"),
)


@pytest.mark.parametrize(
    ("given_tag", "tag"),
    [("en", "en"), ("EN-us", "en-US"), ("zh-hant-tw", "zh-Hant-TW"), (" pt-br ", "pt-BR"), ("yue", "yue")],
)
def test_tags_are_put_in_their_usual_case(given_tag: str, tag: str) -> None:
    assert language_tag(given_tag) == tag


@pytest.mark.parametrize(
    "value", ["", "e", "english!", "français", "en_US", "1234", "en--us", "x" * 40, 12, None]
)
def test_anything_else_is_refused_naming_the_field(value: object) -> None:
    with pytest.raises(InvalidInput) as error:
        language_tag(value, field="lang")
    assert error.value.field == "lang" and "language tag" in str(error.value)


@given(st.text(max_size=40))
def test_a_tag_is_refused_or_kept_as_it_is_once_in_case(value: str) -> None:
    try:
        tag = language_tag(value)
    except InvalidInput:
        return
    assert language_tag(tag) == tag and tag.lower() == value.strip().lower()


def test_blank_means_no_language() -> None:
    assert optional_language_tag(None) is None and optional_language_tag("  ") is None
    assert optional_language_tag("fr") == "fr"


@pytest.mark.parametrize(
    ("candidate", "wanted", "expected"),
    [
        ("en-gb-scotland", "en", True),
        ("en-gb", "en-GB", True),
        ("en-us", "en-GB", False),
        ("cmn", "zh", True),
        ("cmn-latn-pinyin", "zh", True),
        ("fr-fr", "fr", True),
        ("fr", "de", False),
        ("", "en", False),
    ],
)
def test_voice_languages_match_loosely(candidate: str, wanted: str, expected: bool) -> None:
    assert matches_language(candidate, wanted) is expected


@pytest.mark.parametrize(
    ("language", "voice"),
    [
        ("en", "en-us"),  # the engine's default speaks English: it stays
        ("en-GB", "en"),
        ("fr", "fr"),  # the voice named exactly "fr" before the Belgian one listed first
        ("zh", "cmn"),
        ("zh-TW", "cmn"),  # no Taiwanese voice: one for the language will do
        ("pt-BR", "pt-br"),
        ("ar", "ar"),
        ("tlh", None),
    ],
)
def test_the_voice_for_a_language(language: str, voice: str | None) -> None:
    chosen = voice_for_language(ESPEAK_LIKE, language)
    assert (chosen.id if chosen else None) == voice


def test_voices_for_a_language_keep_the_engine_order() -> None:
    assert [v.id for v in voices_for_language(ESPEAK_LIKE, "fr")] == ["fr-be", "fr"]
    assert [v.id for v in voices_for_language(ESPEAK_LIKE, "zh")] == ["cmn", "yue"]


# --- the writer -------------------------------------------------------------------------------


class LegacyModel:
    """A third-party model written before languages existed: no ``languages``, no ``language``."""

    id: ClassVar[str] = "legacy"
    name: ClassVar[str] = "Legacy"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.calls = 0

    def write_quote(self, category: Category, *, avoid: Sequence[str] = ()) -> Quote:
        self.calls += 1
        return Quote(f"An old {category.id} line.")

    def write_visual_prompt(self, text: str, category: Category, style: object) -> str:
        return text


def test_a_model_without_languages_is_taken_to_write_english_and_called_as_before() -> None:
    model = LegacyModel()
    assert model_languages(model) == ("en",)  # type: ignore[arg-type]
    assert write_quote(model, WISDOM).text == "An old wisdom line."  # type: ignore[arg-type]
    assert write_quote(model, WISDOM, language="en-AU").text  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as error:
        write_quote(model, WISDOM, language="fr")  # type: ignore[arg-type]
    assert error.value.field == "language" and error.value.choices == ("en",)
    assert model.calls == 2


def test_the_offline_quotes_are_english_only_and_say_so() -> None:
    model = OfflineLanguageModel(ProviderConfig(settings={"seed": "1"}))
    assert model.write_quote(WISDOM, language="en-GB").text
    with pytest.raises(InvalidInput) as error:
        generate_quote(model, "wisdom", language="fr")
    assert error.value.field == "language" and error.value.choices == ("en",)
    with pytest.raises(InvalidInput, match="English only") as direct:  # asked directly, it says why
        model.write_quote(WISDOM, language="fr")
    assert direct.value.field == "language"


def test_the_language_reaches_a_model_that_writes_it() -> None:
    model = FakeLanguageModel()
    assert generate_quote(model, "hope", language="zh-hant").text == "Fake hope quote number 1 (zh-Hant)."
    assert model.asked_languages == ["zh-Hant"]


# --- the render and the SDK ---------------------------------------------------------------------


class FrenchSpeech(FakeSpeechEngine):
    """The fake engine with the voices of an engine that speaks several languages."""

    def voices(self) -> Sequence[Voice]:
        return (Voice("fake-a", "Fake A"), Voice("fake-b", "Fake B", "fr-fr"))


def test_a_render_in_a_language_speaks_with_its_first_voice(tmp_path: Path) -> None:
    providers = RenderProviders(FrenchSpeech(), FakeVisualSource(), FakeCompositor())
    req = RenderRequest(
        text="Bonjour tout le monde.", visual_prompt="a bridge", style="minimal", language="FR"
    )
    render_video(req, providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
    described = json.loads((tmp_path / "v.mp4").read_text())
    assert described["voice"] == "fake-b" and described["language"] == "fr"


def test_a_named_voice_wins_and_an_unknown_language_keeps_the_default(tmp_path: Path) -> None:
    providers = RenderProviders(FrenchSpeech(), FakeVisualSource(), FakeCompositor())
    for language, voice, expected in (("fr", "fake-a", "fake-a"), ("ja", None, "fake-a")):
        req = RenderRequest(text="Words.", visual_prompt="x", style="minimal", language=language, voice=voice)
        render_video(req, providers, output_path=tmp_path / "v.mp4", workdir=tmp_path)
        assert json.loads((tmp_path / "v.mp4").read_text())["voice"] == expected


def test_a_bad_tag_cannot_make_a_request() -> None:
    with pytest.raises(InvalidInput):
        RenderRequest(text="x", visual_prompt="y", style="minimal", language="not a tag")


def test_the_sdk_writes_and_renders_in_the_language(tmp_path: Path) -> None:
    studio = Studio(fake_catalog(), data_dir=tmp_path / "data", environ={})
    assert studio.quote("love", language="fr").text == "Fake love quote number 1 (fr)."
    result = studio.render(category="hope", output=tmp_path / "x.mp4", language="ar")
    assert result.text == "Fake hope quote number 1 (ar)."
    assert json.loads(result.path.read_text())["language"] == "ar"


def test_the_sdk_refuses_a_language_the_writer_lacks_before_any_work(tmp_path: Path) -> None:
    catalog = fake_catalog()
    catalog.add(PortKind.LLM, OfflineLanguageModel, plugin="offline")
    studio = Studio(catalog, data_dir=tmp_path / "data", environ={})
    with pytest.raises(InvalidInput) as error:
        studio.plan(output=tmp_path / "x.mp4", language="fr", providers={"llm": "offline"})
    assert error.value.field == "language" and not (tmp_path / "x.mp4").exists()
    # your own words in any language need no writer
    studio.plan(output=tmp_path / "x.mp4", language="fr", quote="Bonjour.", visual_prompt="a bridge")
    with pytest.raises(InvalidInput):
        studio.plan(output=tmp_path / "x.mp4", language="fr!")
