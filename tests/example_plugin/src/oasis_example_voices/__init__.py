"""An example Oasis plugin: a speech engine that hums one note per word."""

from __future__ import annotations

import math
import struct
import uuid
import wave
from collections.abc import Sequence
from pathlib import Path

import oasis_core
from oasis_core import InvalidInput, ProviderConfig, Speech, Voice, WordTiming

RATE = 22050
NOTES = {"low": 196.0, "high": 392.0}


class HummingSpeechEngine:
    """Hums one note per word: a stand-in for a real text-to-speech service."""

    id = "hum"
    name = "Humming example voice"
    needs_key = None
    key_env_var = None

    def __init__(self, config: ProviderConfig) -> None:
        self.word_seconds = config.number("word_seconds", 0.35, minimum=0.05)

    def voices(self) -> Sequence[Voice]:
        """A low and a high hum."""
        return [Voice("low", "Low hum"), Voice("high", "High hum")]

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Hum each word of ``text`` into a WAV file in ``out_dir``."""
        words = text.split()
        if not words:
            raise InvalidInput("There is nothing to say", field="text")
        voice = voice or "low"
        if voice not in NOTES:
            raise InvalidInput(f"Unknown voice {voice!r}", field="voice", choices=list(NOTES))
        step = self.word_seconds / rate
        samples: list[int] = []
        timings = []
        for index, word in enumerate(words):
            timings.append(WordTiming(word, index * step, index * step + step * 0.8))
            for n in range(int(step * RATE)):
                envelope = 1.0 if n < step * RATE * 0.8 else 0.0
                samples.append(int(9000 * envelope * math.sin(2 * math.pi * NOTES[voice] * n / RATE)))
        path = out_dir / f"hum-{uuid.uuid4().hex}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(struct.pack(f"<{len(samples)}h", *samples))
        return Speech(path, len(samples) / RATE, timings, voice=voice, usage={"characters": len(text)})


@oasis_core.hookimpl
def register_speech_engines(register):  # type: ignore[no-untyped-def]
    """Tell Oasis about the humming engine."""
    register(HummingSpeechEngine)
