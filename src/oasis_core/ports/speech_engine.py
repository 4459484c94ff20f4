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
    """A voice a speech engine offers: its id (what callers pass), a name and a language tag."""

    id: str
    name: str
    language: str = "en"


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
