"""The ``elevenlabs`` plugin: speech from ElevenLabs' API through its official ``elevenlabs`` SDK."""

from __future__ import annotations

from oasis_core.hookspecs import Register, hookimpl
from oasis_plugins.elevenlabs.speech_engine import ElevenLabsSpeechEngine

__all__ = ["ElevenLabsSpeechEngine", "register_speech_engines"]


@hookimpl
def register_speech_engines(register: Register) -> None:
    """Register :class:`ElevenLabsSpeechEngine`."""
    register(ElevenLabsSpeechEngine)
