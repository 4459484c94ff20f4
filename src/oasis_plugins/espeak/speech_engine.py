"""The ``espeak`` speech engine: offline speech with eSpeak NG, no key needed."""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from oasis_core.domain.media import Speech
from oasis_core.errors import InvalidInput, ProviderError
from oasis_core.ports.provider import ProviderConfig
from oasis_core.ports.speech_engine import Voice, speaking_rate, voice_with_language
from oasis_plugins.espeak import library
from oasis_plugins.espeak.alignment import align_words, audible_end
from oasis_plugins.speech_files import write_wav

DEFAULT_WORDS_PER_MINUTE = 175
"""espeak-ng's normal speaking rate, which ``rate=1.0`` means."""
PREFERRED_DEFAULTS = ("en-us", "en")
"""The voices tried, in order, as the default when the config names none."""
_MAX_CHOICES = 16


def _voice_id(info: library.VoiceInfo) -> str:
    """A voice's id: its file name in lower case (``"gmw/en-US"`` → ``"en-us"``), unique in espeak-ng."""
    return info.identifier.rsplit("/", 1)[-1].lower()


@functools.cache
def _build_voices() -> tuple[tuple[Voice, ...], dict[str, str]]:
    """The voices, default first then other English ones, and a map from id to espeak-ng name (cached)."""
    found: list[Voice] = []
    names: dict[str, str] = {}
    for info in library.list_voices():
        voice_id = _voice_id(info)
        if not voice_id or voice_id in names:
            continue
        names[voice_id] = info.name
        language = info.languages[0] if info.languages else voice_id
        found.append(Voice(id=voice_id, name=info.name.strip() or voice_id, language=language))
    default = next((v for v in PREFERRED_DEFAULTS if v in names), found[0].id if found else None)
    found.sort(key=lambda v: (v.id != default, not _is_english(v)))  # stable: espeak-ng's order otherwise
    return tuple(found), names


def _is_english(voice: Voice) -> bool:
    return voice.language.split("-")[0] == "en"


def _speakable_text(text: str) -> str:
    """``text`` with control characters and lone surrogates turned into spaces (lengths unchanged)."""
    return "".join(
        " " if unicodedata.category(char) in ("Cc", "Cs") and char not in "\t\n\r" else char for char in text
    )


class EspeakSpeechEngine:
    """Speech from eSpeak NG, run in-process from the ``espeakng-loader`` wheel: offline, free, robotic.

    Settings (all optional): ``voice``, the default voice id (see
    :meth:`voices`), and ``rate``, a speed factor (0.5–2.0) that multiplies the
    ``rate`` given to :meth:`synthesize`. Word timings come from espeak-ng's own
    word events, so captions line up with the audio exactly.
    """

    id: ClassVar[str] = "espeak"
    name: ClassVar[str] = "eSpeak NG (offline)"
    needs_key: ClassVar[str | None] = None
    key_env_var: ClassVar[str | None] = None

    def __init__(self, config: ProviderConfig) -> None:
        self._config = config
        setting = config.setting("rate")
        self._base_rate = 1.0 if setting is None else speaking_rate(setting)

    def voices(self) -> Sequence[Voice]:
        """espeak-ng's voices: the default (US English) first, other English ones next, then the rest."""
        return _build_voices()[0]

    def _choices(self, voices: Sequence[Voice], requested: str) -> list[str]:
        """A short list of valid ids to suggest: same language as ``requested`` if any, else English."""
        wanted = requested.strip().lower().split("-")[0]
        same = [v.id for v in voices if v.language.split("-")[0] == wanted or v.id.split("-")[0] == wanted]
        picked = same or [v.id for v in voices if _is_english(v)]
        listed = picked[:_MAX_CHOICES]
        return [*listed, f"… ({len(voices)} voices in all)"] if len(voices) > len(listed) else listed

    def _resolve_voice(self, requested: str | None) -> tuple[str, str]:
        """The id and espeak-ng name of the voice to use, or :class:`InvalidInput`."""
        voices, names = _build_voices()
        if not voices:
            raise ProviderError("eSpeak NG offers no voices", provider=self.id)
        wanted = requested if requested is not None else self._config.setting("voice")
        if wanted is None:
            return voices[0].id, names[voices[0].id]
        voice_id = wanted.strip().lower()
        if voice_id not in names:
            by_language = voice_with_language(voices, wanted)  # "en-gb" is the language of the voice "en"
            if by_language is None:
                raise InvalidInput(
                    f"eSpeak NG has no voice {wanted!r}", field="voice", choices=self._choices(voices, wanted)
                )
            voice_id = by_language.id
        return voice_id, names[voice_id]

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Speak ``text`` into a new WAV file in ``out_dir``, with a timing for every word.

        Raises :class:`InvalidInput` for empty text, an unknown voice or a rate
        outside 0.5–2.0, and :class:`ProviderError` if espeak-ng fails.
        """
        if not text or text.isspace():
            raise InvalidInput("There is no text to speak", field="text")
        speed = speaking_rate(rate) * self._base_rate
        voice_id, voice_name = self._resolve_voice(voice)
        spoken = _speakable_text(text)
        result = library.synthesize(
            spoken, voice_name=voice_name, words_per_minute=round(DEFAULT_WORDS_PER_MINUTE * speed)
        )
        if result.samples.size == 0:
            raise ProviderError("eSpeak NG produced no audio for this text", provider=self.id)
        duration = result.samples.size / result.sample_rate
        end = audible_end(result.samples, result.sample_rate) or duration
        # _speakable_text keeps every character's offset, so the events fit the text as written.
        words = align_words(text, result.words, result.sample_rate, speech_end=end, duration=duration)
        audio_path = write_wav(result.samples, result.sample_rate, Path(out_dir), engine=self.id)
        return Speech(audio_path, duration, words, voice=voice_id, usage={"characters": len(text)})
