"""The contract every ``LanguageModel`` provider passes."""

from __future__ import annotations

from typing import Any

import pytest

from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import CATEGORIES, STYLES, get_category, get_style
from oasis_core.domain.language import language_tag, primary_language
from oasis_core.domain.media import MAX_TEXT_LENGTH
from oasis_core.errors import InvalidInput
from oasis_core.ports.language_model import model_languages, write_quote
from oasis_core.testing.contracts.base import ProviderContract
from oasis_core.testing.contracts.script_writer import ScriptWriterContract

_QUOTE_MARKS = ('"', "'", "“", "”", "‘", "’", "«", "»")
_MARKDOWN = ("*", "#", "`")


class LanguageModelContract(ScriptWriterContract, ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture returning a ready instance.

    Includes :class:`ScriptWriterContract`, which a model without ``write_script`` skips.
    """

    kind = PortKind.LLM

    def test_writes_a_plain_quote_for_every_category(self, provider: Any) -> None:
        for category in CATEGORIES:
            _assert_plain(provider.write_quote(category).text, category.id)

    def test_declares_its_languages_as_tags_or_none(self, provider: Any) -> None:
        if hasattr(provider, "languages") and provider.languages is not None:
            assert provider.languages, "declare None for any language, not an empty tuple"
            assert all(language_tag(tag) == tag for tag in provider.languages)

    def test_writes_a_plain_quote_in_each_language_it_offers(self, provider: Any) -> None:
        offered = model_languages(provider)
        category = get_category("wisdom")
        for tag in offered if offered is not None else ("en", "fr", "zh"):
            _assert_plain(write_quote(provider, category, language=tag).text, tag)

    def test_refuses_a_language_it_does_not_write(self, provider: Any) -> None:
        offered = model_languages(provider)
        if offered is None:
            pytest.skip("writes in any language")
        missing = next(
            t for t in ("tlh", "qya", "jbo", "fr") if t not in {primary_language(o) for o in offered}
        )
        with pytest.raises(InvalidInput) as error:
            write_quote(provider, get_category("wisdom"), language=missing)
        assert error.value.field == "language"
        if hasattr(provider, "languages"):  # asked directly, too, it says which languages it has
            with pytest.raises(InvalidInput) as direct:
                provider.write_quote(get_category("wisdom"), language=missing)
            assert direct.value.field == "language" and set(direct.value.choices) == set(offered)

    def test_avoids_the_texts_it_is_told_to(self, provider: Any) -> None:
        category = get_category("motivation")
        first = provider.write_quote(category)
        second = provider.write_quote(category, avoid=[first.text])
        assert second.text != first.text

    def test_writes_a_bounded_one_paragraph_visual_prompt(self, provider: Any) -> None:
        prompt = provider.write_visual_prompt(
            "The best time to plant a tree was twenty years ago.", get_category("wisdom"), get_style("nature")
        )
        assert isinstance(prompt, str) and prompt.strip()
        assert "\n" not in prompt.strip()
        assert len(prompt) <= 600

    def test_different_texts_give_different_prompts(self, provider: Any) -> None:
        category, style = get_category("courage"), STYLES[0]
        one = provider.write_visual_prompt("Fortune favours the bold.", category, style)
        two = provider.write_visual_prompt("The sea is calm tonight under a silver moon.", category, style)
        assert one != two


def _assert_plain(text: str, label: str) -> None:
    assert text.strip() == text and text, label
    assert 0 < len(text) <= MAX_TEXT_LENGTH
    assert not text.startswith(_MARKDOWN), f"markdown text: {text!r}"
    # An elision such as "'Tis better to have loved…" may start with an apostrophe; a quote wraps both ends.
    wrapped = text.startswith(_QUOTE_MARKS) and text.rstrip(".!?…").endswith(_QUOTE_MARKS)
    assert not wrapped, f"text wrapped in quote marks: {text!r}"
    assert "\n\n" not in text
