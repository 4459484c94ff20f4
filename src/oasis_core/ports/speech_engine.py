"""The ``SpeechEngine`` port: turns text into speech with a timing for every word."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Protocol, cast, runtime_checkable

from attrs import frozen

from oasis_core.domain.catalogue import Category
from oasis_core.domain.media import Speech
from oasis_core.errors import InvalidInput
from oasis_core.ports.provider import Provider

MIN_RATE = 0.5
"""The slowest speaking ``rate`` a speech engine accepts."""
MAX_RATE = 2.0
"""The fastest speaking ``rate`` a speech engine accepts."""


def speaking_rate(value: object, *, field: str = "rate") -> float:
    """``value`` as a speaking rate (a number from :data:`MIN_RATE` to :data:`MAX_RATE`).

    Raises :class:`InvalidInput` naming ``field`` for anything else (text that
    is not a number, a boolean, NaN, a value out of range).
    """
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        rate = math.nan
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidInput(
            f"The speaking rate must be between {MIN_RATE} and {MAX_RATE}, not {value!r}", field=field
        )
    return rate


@frozen
class Voice:
    """A voice a speech engine offers: its id (what callers pass), a name and a language tag.

    ``licence`` says what the voice may be used for, in a few words (``"CC0"``,
    ``"research only, no commercial use"``), when the engine knows; ``None``
    when it does not say. ``speakers`` names the speakers of a voice that has
    several (by number, from 0); callers pick one with ``"<id>:<number>"`` or
    ``"<id>#<name>"`` (see :func:`find_voice`), and plain ``id`` is the
    voice's default speaker.
    """

    id: str
    name: str
    language: str = "en"
    licence: str | None = None
    speakers: tuple[str, ...] = ()


def find_voice(voices: Sequence[Voice], wanted: str) -> tuple[Voice, int | None] | None:
    """The voice ``wanted`` names among ``voices`` and the speaker it picks, or ``None``.

    ``wanted`` is a voice id, or for a voice with :attr:`Voice.speakers`
    ``"<id>:<number>"`` or ``"<id>#<speaker name>"``; the speaker is ``None``
    for a plain id (the voice's default speaker).
    """
    for voice in voices:
        if voice.id == wanted:
            return voice, None
    for separator in (":", "#"):
        base, found, speaker = wanted.rpartition(separator)
        if not found:
            continue
        owner = next((v for v in voices if v.id == base and v.speakers), None)
        if owner is None:
            continue
        if separator == ":" and speaker.isdecimal() and int(speaker) < len(owner.speakers):
            return owner, int(speaker)
        if separator == "#" and speaker in owner.speakers:
            return owner, owner.speakers.index(speaker)
    by_language = voice_with_language(voices, wanted)
    return (by_language, None) if by_language is not None else None


def voice_with_language(voices: Sequence[Voice], tag: str) -> Voice | None:
    """The first of ``voices`` (the engine's order) whose language is exactly ``tag``, or ``None``.

    Lets a caller name a voice by its documented language (``"en-gb"``,
    ``"en_GB"``) where the engine's ids differ (eSpeak NG's British voice is
    ``en``); case, and ``_`` for ``-``, do not matter. Unlike
    :func:`oasis_core.domain.language.voice_for_language` (the voice for a
    video's language when none is named), nothing close is taken instead: a
    voice asked for by name is that voice or an error.
    """
    wanted = tag.strip().lower().replace("_", "-")
    return next((v for v in voices if v.language.lower().replace("_", "-") == wanted), None)


@runtime_checkable
class SpeechEngine(Provider, Protocol):
    """Speaks text into an audio file and says when each word is heard.

    Register implementations with the ``register_speech_engines`` hook.
    """

    def voices(self) -> Sequence[Voice]:
        """The voices this engine offers; the first is the default."""
        ...

    def synthesize(self, text: str, out_dir: Path, *, voice: str | None = None, rate: float = 1.0) -> Speech:
        """Speak ``text`` into a new audio file inside ``out_dir`` and return it.

        ``voice`` is one of :meth:`voices` (``None`` for the default; an unknown
        id raises :class:`~oasis_core.errors.InvalidInput` listing the valid
        ones). ``rate`` scales the speaking speed (1.0 normal, 0.5–2.0).

        The audio is a file PyAV can decode (WAV, MP3, …). ``Speech.words``
        holds every word of ``text`` in order, as written (punctuation may stay
        attached), with start and end times in seconds that lie inside
        ``Speech.duration`` and never go backwards.
        """
        ...


@runtime_checkable
class CategorySpeechEngine(SpeechEngine, Protocol):
    """A speech engine that also takes the video's category, to speak in its mood (optional capability).

    Such an engine declares ``takes_category = True`` and accepts a keyword
    ``category`` in :meth:`synthesize`; the render service passes it the
    video's :class:`~oasis_core.domain.catalogue.Category` (its id and mood
    words) through :func:`synthesize_speech`. Engines without the flag are
    called exactly as :class:`SpeechEngine` says, so the port stays the same
    for them.
    """

    takes_category: ClassVar[bool]

    def synthesize(
        self,
        text: str,
        out_dir: Path,
        *,
        voice: str | None = None,
        rate: float = 1.0,
        category: Category | None = None,
    ) -> Speech:
        """As :meth:`SpeechEngine.synthesize`; ``category`` (``None``: unknown) may colour the delivery."""
        ...


def synthesize_speech(
    engine: SpeechEngine,
    text: str,
    out_dir: Path,
    *,
    voice: str | None = None,
    rate: float = 1.0,
    category: Category | None = None,
) -> Speech:
    """``engine.synthesize(...)``, handing ``category`` on only to an engine that declares ``takes_category``."""
    if category is not None and getattr(engine, "takes_category", False) is True:
        moody = cast(CategorySpeechEngine, engine)
        return moody.synthesize(text, out_dir, voice=voice, rate=rate, category=category)
    return engine.synthesize(text, out_dir, voice=voice, rate=rate)
