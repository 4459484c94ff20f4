"""The contract every ``SpeechEngine`` provider passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from oasis_core.catalog import PortKind
from oasis_core.errors import InvalidInput
from oasis_core.testing.contracts.base import ProviderContract

SENTENCE = "The best time to plant a tree was twenty years ago, and the second best time is now."


class SpeechEngineContract(ProviderContract):
    """Subclass as ``Test…`` with a ``provider`` fixture returning a ready instance."""

    kind = PortKind.SPEECH

    def test_offers_voices_with_unique_ids(self, provider: Any) -> None:
        voices = list(provider.voices())
        assert voices
        assert len({v.id for v in voices}) == len(voices)

    def test_times_every_word_in_order_inside_the_audio(self, provider: Any, tmp_path: Path) -> None:
        speech = provider.synthesize(SENTENCE, tmp_path)
        assert speech.audio_path.is_file() and speech.audio_path.stat().st_size > 1000
        assert speech.audio_path.parent == tmp_path
        assert speech.duration > 1.0
        assert [w.text for w in speech.words] == SENTENCE.split()
        previous = 0.0
        for word in speech.words:
            assert previous <= word.start <= word.end <= speech.duration + 1e-6
            previous = word.start
        assert speech.words[-1].start > speech.duration * 0.5

    def test_uses_the_voice_it_is_given(self, provider: Any, tmp_path: Path) -> None:
        voices = list(provider.voices())
        speech = provider.synthesize("Hello there.", tmp_path, voice=voices[-1].id)
        assert speech.voice in (None, voices[-1].id)

    def test_refuses_an_unknown_voice_listing_valid_ones(self, provider: Any, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput) as info:
            provider.synthesize("Hello there.", tmp_path, voice="no-such-voice-xyz")
        assert info.value.choices

    def test_refuses_empty_text(self, provider: Any, tmp_path: Path) -> None:
        with pytest.raises(InvalidInput):
            provider.synthesize("   ", tmp_path)
