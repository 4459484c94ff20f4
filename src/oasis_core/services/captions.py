"""Caption timing and layout: which words show when, and how they wrap to fit the frame.

Pure functions: the compositor supplies a ``measure`` function for its font,
so the same rules serve every compositor and are tested with any measure.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from attrs import frozen

from oasis_core.domain.captions import CaptionPhrase, CaptionSegment
from oasis_core.domain.media import Aspect, WordTiming

SENTENCE_END = (".", "!", "?", ";", ":", "…")
CLAUSE_END = (",", "—", "–")

__all__ = [
    "CaptionGeometry",
    "CaptionLayout",
    "CaptionPhrase",
    "CaptionSegment",
    "Measure",
    "caption_geometry",
    "layout_caption",
    "plan_captions",
]

Measure = Callable[[str, int], float]
"""``measure(text, font_size)`` → the width in pixels of ``text`` at ``font_size``."""


def plan_captions(
    words: Sequence[WordTiming],
    duration: float,
    *,
    max_words: int = 4,
    max_chars: int = 26,
    pause: float = 0.35,
    linger: float = 0.5,
) -> tuple[CaptionPhrase, ...]:
    """Group timed words into short phrases and decide when each phrase shows.

    A phrase ends after ``max_words`` words, before it would pass
    ``max_chars`` characters, after a sentence end, after a clause end (once
    it has two words), or at a pause longer than ``pause`` seconds. Words that
    start at the same instant stay together. Each phrase shows from its first
    word until the next phrase starts, or ``linger`` seconds after its last
    word ends, whichever is sooner, and never past ``duration``.
    """
    groups: list[list[WordTiming]] = []
    current: list[WordTiming] = []
    for word in words:
        if current and _breaks_before(current, word, max_words, max_chars, pause):
            groups.append(current)
            current = []
        current.append(word)
    if current:
        groups.append(current)

    phrases: list[CaptionPhrase] = []
    for index, group in enumerate(groups):
        start = min(group[0].start, duration)
        end = min(group[-1].end + linger, duration)
        if index + 1 < len(groups):
            end = min(end, groups[index + 1][0].start)
        end = max(end, start)
        phrases.append(CaptionPhrase(tuple(group), start, end))
    return tuple(phrases)


def _breaks_before(
    current: list[WordTiming], word: WordTiming, max_words: int, max_chars: int, pause: float
) -> bool:
    last = current[-1]
    if word.start <= current[0].start or word.start <= last.start:
        return False
    if len(current) >= max_words:
        return True
    if sum(len(w.text) + 1 for w in current) + len(word.text) > max_chars:
        return True
    if last.text.endswith(SENTENCE_END) or (len(current) >= 2 and last.text.endswith(CLAUSE_END)):
        return True
    return word.start - last.end > pause


@frozen
class CaptionGeometry:
    """Where captions go in a frame of one aspect, in pixels.

    ``max_width`` keeps clear of the side margins (and of the buttons that
    short-video apps draw on the right); ``center_y`` sits above the bottom
    bar those apps draw; ``font_size`` shrinks down to ``min_font_size`` to fit.
    """

    frame_width: int
    frame_height: int
    max_width: int
    center_y: int
    font_size: int
    min_font_size: int
    max_lines: int = 2
    line_spacing: float = 1.18
    margin: int = 40


def caption_geometry(aspect: Aspect) -> CaptionGeometry:
    """The caption area for a frame of ``aspect``."""
    w, h = aspect.width, aspect.height
    if h > w:  # vertical: clear of the right-hand buttons and the bottom caption bar
        return CaptionGeometry(w, h, int(w * 0.80), int(h * 0.62), int(h * 0.05), int(h * 0.024))
    if h == w:
        return CaptionGeometry(w, h, int(w * 0.84), int(h * 0.72), int(h * 0.066), int(h * 0.03))
    return CaptionGeometry(w, h, int(w * 0.76), int(h * 0.80), int(h * 0.074), int(h * 0.035))


@frozen
class CaptionLayout:
    """How one phrase is drawn: the font size and the word indices on each line."""

    font_size: int
    lines: tuple[tuple[int, ...], ...]
    line_height: int

    @property
    def height(self) -> int:
        """The height of the text block in pixels."""
        return self.line_height * len(self.lines)


def layout_caption(words: Sequence[str], measure: Measure, geometry: CaptionGeometry) -> CaptionLayout:
    """Wrap ``words`` into at most ``geometry.max_lines`` lines that fit ``geometry.max_width``.

    The font shrinks from ``font_size`` towards ``min_font_size`` until the
    phrase fits; if a single word is still too wide it shrinks further, so a
    caption is never wider than the frame allows. Words are never split.
    """
    if not words:
        raise ValueError("a caption needs at least one word")
    size = geometry.font_size
    while True:
        lines = _wrap(words, measure, size, geometry.max_width)
        fits = lines is not None and len(lines) <= geometry.max_lines
        if fits or size <= 4:
            break
        if size > geometry.min_font_size:
            size = max(geometry.min_font_size, int(size * 0.92))
            continue
        widest = max(measure(word, size) for word in words)
        if lines is not None and widest <= geometry.max_width:
            break  # every word fits on its own; accept more lines at the minimum size
        size = max(4, min(size - 1, int(size * geometry.max_width / max(widest, 1.0))))
    final = _wrap(words, measure, size, geometry.max_width) or tuple((i,) for i in range(len(words)))
    return CaptionLayout(size, final, max(1, round(size * geometry.line_spacing)))


def _wrap(
    words: Sequence[str], measure: Measure, size: int, max_width: int
) -> tuple[tuple[int, ...], ...] | None:
    """Greedy wrap at ``size``; ``None`` if some word alone is wider than ``max_width``."""
    lines: list[tuple[int, ...]] = []
    current: list[int] = []
    for index, word in enumerate(words):
        if measure(word, size) > max_width:
            return None
        candidate = [*current, index]
        if current and measure(" ".join(words[i] for i in candidate), size) > max_width:
            lines.append(tuple(current))
            current = [index]
        else:
            current = candidate
    if current:
        lines.append(tuple(current))
    return tuple(lines)
