"""The contract every ``LanguageModel`` provider passes."""

from __future__ import annotations

from typing import Any

from oasis_core.catalog import PortKind
from oasis_core.domain.catalogue import CATEGORIES, STYLES, get_category, get_style
from oasis_core.domain.media import MAX_TEXT_LENGTH
from oasis_core.testing.contracts.base import ProviderContract

_WRAPPERS = ('"', "'", "“", "”", "«", "»", "*", "#", "`")


class LanguageModelContract(ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture returning a ready instance."""

    kind = PortKind.LLM

    def test_writes_a_plain_quote_for_every_category(self, provider: Any) -> None:
        for category in CATEGORIES:
            quote = provider.write_quote(category)
            text = quote.text
            assert text.strip() == text and text, category.id
            assert 0 < len(text) <= MAX_TEXT_LENGTH
            assert not text.startswith(_WRAPPERS), f"wrapped or markdown text: {text!r}"
            assert "\n\n" not in text

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
