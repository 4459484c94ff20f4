"""The contract of the optional ``ScriptWriter`` capability of language models.

Every :class:`~oasis_core.testing.contracts.language_model.LanguageModelContract`
runs it; a model without the capability skips it.
"""

from __future__ import annotations

from typing import Any

import pytest

from oasis_core.domain.catalogue import get_category
from oasis_core.domain.language import primary_language
from oasis_core.domain.script import WORDS_PER_SECOND, Script, word_count
from oasis_core.errors import InvalidInput
from oasis_core.ports.language_model import ScriptWriter, model_languages, write_script

TOPIC = "why sleep matters"
RATE_TOLERANCE = 0.25
"""How far a script's narration may be from the length asked for, at the normal speaking rate."""

_QUOTE_MARKS = ('"', "“", "”", "«", "»")
_MARKUP = ("*", "#", "`", "[", "- ")


def _writer(provider: Any) -> Any:
    """``provider``, or skip the test for a language model without ``write_script``."""
    if not isinstance(provider, ScriptWriter):
        pytest.skip("this language model does not write scripts")
    return provider


class ScriptWriterContract:
    """Tests for ``write_script``; mixed into the language model contract (needs a ``provider`` fixture)."""

    @pytest.mark.parametrize("length", [15, 30, 60])
    def test_a_script_fits_its_length_in_scenes(self, provider: Any, length: int) -> None:
        script = write_script(_writer(provider), TOPIC, None, length_seconds=length, language=None)
        assert isinstance(script, Script)
        words = word_count(script.content)
        target = length * WORDS_PER_SECOND
        assert (1 - RATE_TOLERANCE) * target <= words <= (1 + RATE_TOLERANCE) * target, (length, words)
        assert len(script.scenes) >= 2
        for scene in script.scenes:
            _assert_plain_scene(scene.text)
            assert scene.visual_prompt.strip(), "every scene has a visual prompt"
            assert "\n" not in scene.visual_prompt
            assert scene.search_terms and all(term.strip() for term in scene.search_terms)

    def test_a_category_sets_the_mood(self, provider: Any) -> None:
        script = write_script(
            _writer(provider), TOPIC, get_category("mindfulness"), length_seconds=20, language=None
        )
        assert script.scenes and script.content

    def test_writes_in_a_language_it_offers(self, provider: Any) -> None:
        offered = model_languages(_writer(provider))
        tag = "fr" if offered is None else offered[0]
        script = write_script(provider, TOPIC, None, length_seconds=15, language=tag)
        assert script.content

    def test_refuses_a_language_it_does_not_write(self, provider: Any) -> None:
        offered = model_languages(_writer(provider))
        if offered is None:
            pytest.skip("writes in any language")
        missing = next(t for t in ("tlh", "qya", "fr") if t not in {primary_language(o) for o in offered})
        with pytest.raises(InvalidInput) as error:
            provider.write_script(TOPIC, None, length_seconds=15, language=missing)
        assert error.value.field == "language"


def _assert_plain_scene(text: str) -> None:
    assert text == " ".join(text.split()) and text
    assert not text.startswith(_MARKUP), f"markup in a scene: {text!r}"
    wrapped = text.startswith(_QUOTE_MARKS) and text.rstrip(".!?…").endswith(_QUOTE_MARKS)
    assert not wrapped, f"scene text wrapped in quote marks: {text!r}"
