"""The ``espeak`` plugin: offline text-to-speech with eSpeak NG, bundled by ``espeakng-loader``."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.espeak.speech_engine import EspeakSpeechEngine

__all__ = ["EspeakSpeechEngine", "register_speech_engines"]


@hookimpl
def register_speech_engines(register: Register) -> None:
    """Register :class:`EspeakSpeechEngine`."""
    register(EspeakSpeechEngine)
