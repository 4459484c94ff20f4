"""The ``Compositor`` port: puts speech, pictures and captions together into an MP4."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

from attrs import frozen

from oasis_core.domain.caption_style import DEFAULT_CAPTION_STYLE, CaptionStyle
from oasis_core.domain.captions import CaptionPhrase
from oasis_core.domain.media import Aspect, RenderedVideo, Speech, Visuals
from oasis_core.ports.provider import Provider

ProgressCallback = Callable[[float], None]
"""Called with the fraction of the work done, 0.0 to 1.0."""


@frozen
class EndCard:
    """The card a video ends on: ``text`` (the attribution, such as ``"— Epictetus"``) from ``start`` seconds.

    It fades in after the last caption and holds until the video ends.
    """

    text: str
    start: float


@frozen
class Composition:
    """Everything needed to compose one video.

    ``captions`` are the timed phrases to burn in (see
    :func:`oasis_core.services.captions.plan_captions`); ``duration`` is the
    video's length (speech plus a short tail). ``music_path`` is an optional
    track mixed quietly under the voice. ``language`` (a BCP 47 tag, or
    ``None`` when unknown) is the language of the captions, for compositors
    that choose fonts or glyph forms by it. ``script`` is the whole text
    spoken, which the thumbnail shows (``None``: the captions' words);
    ``end_card``, when given, is shown from its start to the end.
    ``caption_style`` is how the captions look (font, size, colours, position).
    """

    speech: Speech
    visuals: Visuals
    captions: tuple[CaptionPhrase, ...]
    aspect: Aspect
    duration: float
    output_path: Path
    thumbnail_path: Path
    music_path: Path | None = None
    fps: int = 30
    language: str | None = None
    script: str | None = None
    end_card: EndCard | None = None
    caption_style: CaptionStyle = DEFAULT_CAPTION_STYLE


@runtime_checkable
class Compositor(Provider, Protocol):
    """Encodes a :class:`Composition` into an MP4 and a JPEG thumbnail.

    Register implementations with the ``register_compositors`` hook.
    """

    def compose(self, composition: Composition, on_progress: ProgressCallback | None = None) -> RenderedVideo:
        """Write ``composition.output_path`` and ``composition.thumbnail_path`` and describe them.

        The MP4 holds H.264 video (yuv420p) at ``aspect`` size and ``fps``, and
        AAC audio, with the index (moov) before the media data so it plays
        while downloading. The pictures move; each caption phrase is shown from
        its start to its end with the word being spoken highlighted; the end
        card, if any, from its start to the end. The thumbnail shows the
        script (or its first sentence, when long) over the first scene. Call
        ``on_progress`` now and then with the fraction done. On failure, leave
        no file at ``output_path``.
        """
        ...


@runtime_checkable
class CaptionPreviews(Protocol):
    """A compositor that checks a caption style before a render and draws a still of it.

    Optional: entry points ask ``isinstance(compositor, CaptionPreviews)``.
    It lets a server refuse a font it cannot find when the render is asked
    for (not minutes later in a worker), and show a user the look they chose.
    """

    def caption_fonts(self) -> tuple[str, ...]:
        """The names of installed fonts a style's ``font`` may give (file paths are also accepted)."""
        ...

    def check_caption_style(self, style: CaptionStyle) -> None:
        """Raise :class:`~oasis_core.errors.InvalidInput` (``field="captions.font"``) if ``style`` cannot be drawn."""
        ...

    def caption_preview(self, style: CaptionStyle, aspect: Aspect, text: str) -> bytes:
        """A PNG of ``text``'s first phrase drawn as ``style`` over a neutral background, one word highlighted.

        The picture is ``aspect``'s frame at half size.
        """
        ...
