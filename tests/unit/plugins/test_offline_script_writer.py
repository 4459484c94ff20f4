"""The offline script writer: an honest hook, the nearest category's quotes with their authors, a close."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oasis_core.domain.catalogue import get_category
from oasis_core.domain.script import WORDS_PER_SECOND, word_count
from oasis_core.errors import InvalidInput
from oasis_core.ports.provider import ProviderConfig
from oasis_plugins.offline.language_model import OfflineLanguageModel, load_quotes
from oasis_plugins.offline.script_writer import CLOSING, build_script, hook, nearest_category


@pytest.fixture
def writer() -> OfflineLanguageModel:
    return OfflineLanguageModel(ProviderConfig(settings={"seed": "7"}))


@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        ("why sleep matters", "mindfulness"),
        ("leading a small team", "leadership"),
        ("how to stop being afraid of speaking", "courage"),
        ("saying thanks to your parents", "gratitude"),
        ("the quarterly zxqv report", "wisdom"),  # nothing matches: the fallback
    ],
)
def test_the_nearest_category_is_found_from_the_topics_words(topic: str, expected: str) -> None:
    assert nearest_category(topic, load_quotes()).id == expected


def test_a_script_opens_on_the_topic_speaks_real_quotes_with_authors_and_closes(
    writer: OfflineLanguageModel,
) -> None:
    script = writer.write_script("why sleep matters", None, length_seconds=30)
    texts = [scene.text for scene in script.scenes]
    assert texts[0] == "On why sleep matters, here is what great minds have said."
    assert texts[-1] == CLOSING
    quotes = {f"{q.author} said: {q.text}" for items in load_quotes().values() for q in items}
    assert all(text in quotes for text in texts[1:-1]), "every middle scene is a real quote, attributed"
    assert len(script.scenes) >= 4
    assert script.language == "en"
    assert len({scene.visual_prompt for scene in script.scenes}) == len(script.scenes)


def test_a_long_topic_is_not_read_out() -> None:
    assert hook("a b c d e f g h i") == "Here is what great minds have said on this."


def test_a_category_given_is_used(writer: OfflineLanguageModel) -> None:
    script = writer.write_script("why sleep matters", get_category("love"), length_seconds=30)
    love = {f"{q.author} said: {q.text}" for q in load_quotes()["love"]}
    assert all(scene.text in love for scene in script.scenes[1:-1])


def test_other_languages_are_refused_like_quotes(writer: OfflineLanguageModel) -> None:
    with pytest.raises(InvalidInput) as error:
        writer.write_script("le sommeil", None, length_seconds=30, language="fr")
    assert error.value.field == "language" and error.value.choices == ("en",)


@settings(max_examples=60, deadline=None)
@given(
    st.integers(15, 90), st.integers(0, 10_000), st.sampled_from(["sleep", "money and work", "grief", "x"])
)
def test_the_narration_fits_the_length_at_a_normal_rate(length: int, seed: int, topic: str) -> None:
    script = build_script(topic, None, length, load_quotes(), random.Random(seed))
    target = length * WORDS_PER_SECOND
    assert 0.75 * target <= word_count(script.content) <= 1.25 * target
    assert len(script.scenes) >= 3
