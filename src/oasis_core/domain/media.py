"""Value objects that travel between the providers of one render.

A render goes text → :class:`Speech` (audio and word timings) → :class:`Visuals`
(images to animate) → a composed MP4 (:class:`RenderedVideo`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from attrs import field, frozen

from oasis_core.errors import InvalidInput

MAX_TEXT_LENGTH = 1000
"""The longest quote or script, in characters, that a render accepts."""


@frozen
class Aspect:
    """An output frame shape, such as ``9:16`` at 1080x1920."""

    id: str
    width: int
    height: int


ASPECTS: tuple[Aspect, ...] = (
    Aspect("9:16", 1080, 1920),
    Aspect("1:1", 1080, 1080),
    Aspect("16:9", 1920, 1080),
)
ASPECT_IDS: tuple[str, ...] = tuple(a.id for a in ASPECTS)
DEFAULT_ASPECT = ASPECTS[0]


def get_aspect(aspect_id: str) -> Aspect:
    """Return the aspect with that id, or raise :class:`InvalidInput` listing the valid ones."""
    for aspect in ASPECTS:
        if aspect.id == aspect_id:
            return aspect
    raise InvalidInput(f"Unknown aspect {aspect_id!r}", field="aspect", choices=ASPECT_IDS)


def validate_text(text: str, *, field_name: str = "quote", limit: int = MAX_TEXT_LENGTH) -> str:
    """Return ``text`` stripped, or raise :class:`InvalidInput` if it is empty or longer than ``limit``."""
    cleaned = " ".join(text.split())
    if not cleaned:
        raise InvalidInput(f"The {field_name} is empty", field=field_name)
    if len(cleaned) > limit:
        raise InvalidInput(
            f"The {field_name} is {len(cleaned)} characters long; the limit is {limit}", field=field_name
        )
    return cleaned


@frozen
class Quote:
    """A piece of content to speak: the text and, for a real quote, who said it."""

    text: str
    author: str | None = None

    @property
    def spoken(self) -> str:
        """The text as it is spoken and captioned (the attribution is not read out)."""
        return self.text


def word_spans(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character spans of the words of ``text``, as :meth:`str.split` finds them.

    Speech engines use it to tie the timings they get (per character or per
    word event) to the words a caption shows.
    """
    spans: list[tuple[int, int]] = []
    start: int | None = None
    for index, char in enumerate(text):
        if char.isspace():
            if start is not None:
                spans.append((start, index))
                start = None
        elif start is None:
            start = index
    if start is not None:
        spans.append((start, len(text)))
    return spans


@frozen
class WordTiming:
    """One spoken word: its text as written and when it is heard, in seconds from the start."""

    text: str
    start: float
    end: float

    def __attrs_post_init__(self) -> None:
        if not self.text or self.start < 0 or self.end < self.start:
            raise ValueError(f"invalid word timing {self!r}")


def _words(items: Iterable[WordTiming]) -> tuple[WordTiming, ...]:
    return tuple(items)


@frozen
class Speech:
    """Synthesised speech: an audio file, its length and a timing for every word."""

    audio_path: Path
    duration: float
    words: tuple[WordTiming, ...] = field(converter=_words)
    voice: str | None = None
    usage: dict[str, int] = field(factory=dict)


@frozen
class Scene:
    """One image shown from ``start`` to ``end`` seconds, animated by the compositor."""

    image_path: Path
    start: float
    end: float


def _scenes(items: Iterable[Scene]) -> tuple[Scene, ...]:
    return tuple(items)


@frozen
class Visuals:
    """The images of a video, in order, covering it from 0 to its end."""

    scenes: tuple[Scene, ...] = field(converter=_scenes)
    style: str
    usage: dict[str, int] = field(factory=dict)

    def __attrs_post_init__(self) -> None:
        if not self.scenes:
            raise ValueError("visuals need at least one scene")


@frozen
class RenderedVideo:
    """A finished video file and what a caller needs to know about it."""

    path: Path
    thumbnail_path: Path
    duration: float
    width: int
    height: int
    size_bytes: int
