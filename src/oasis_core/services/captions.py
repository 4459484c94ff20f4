"""Caption timing and layout: which words show when, and how they wrap to fit the frame.

Pure functions: the compositor supplies a ``measure`` function for its font,
so the same rules serve every compositor and are tested with any measure.
"""

from __future__ import annotations

import itertools
import math
import unicodedata
from collections.abc import Callable, Sequence

from attrs import evolve, frozen

from oasis_core.domain.caption_style import DEFAULT_CAPTION_STYLE, CaptionPosition, CaptionStyle
from oasis_core.domain.captions import CaptionPhrase, CaptionSegment
from oasis_core.domain.media import Aspect, WordTiming

SENTENCE_END = (".", "!", "?", ";", ":", "…", "。", "！", "？", "；", "：", "؟", "۔", "।", "॥")
CLAUSE_END = (",", "—", "–", "，", "、", "،")

__all__ = [
    "CaptionGeometry",
    "CaptionLayout",
    "CaptionPhrase",
    "CaptionSegment",
    "Measure",
    "caption_geometry",
    "display_width",
    "join_words",
    "layout_caption",
    "plan_captions",
    "word_gap",
]

Measure = Callable[[str, int], float]
"""``measure(text, font_size)`` → the width in pixels of ``text`` at ``font_size``."""


def is_unspaced(char: str) -> bool:
    """Whether ``char`` belongs to a script written without spaces between words (Chinese, Japanese).

    Han ideographs, kana, CJK punctuation and full-width forms are wide
    characters; Hangul is wide too but Korean separates its words with spaces.
    """
    if unicodedata.east_asian_width(char) not in ("W", "F") or char.isspace():
        return False
    return not unicodedata.name(char, "").startswith("HANGUL")


def display_width(text: str) -> int:
    """How many columns ``text`` takes: wide (CJK, full-width) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in text)


def word_gap(left: str, right: str) -> str:
    """What separates two words on screen: nothing between Chinese or Japanese characters, else a space."""
    return "" if left and right and is_unspaced(left[-1]) and is_unspaced(right[0]) else " "


def join_words(words: Sequence[str]) -> str:
    """The words as one line of text, spaced as their scripts are written (see :func:`word_gap`)."""
    parts: list[str] = []
    for index, word in enumerate(words):
        if index:
            parts.append(word_gap(words[index - 1], word))
        parts.append(word)
    return "".join(parts)


def split_unspaced(word: WordTiming, max_piece: int = 4) -> tuple[WordTiming, ...]:
    """Cut a run of Chinese or Japanese text, heard as one "word", into pieces a caption can wrap and highlight.

    Speech engines split text into words at spaces, so a whole sentence
    without spaces comes back as one word. It is cut after punctuation, and
    into pieces of at most ``max_piece`` characters (evenly sized), only
    between two characters of those scripts, so Latin words and numbers inside
    stay whole. Each piece gets a share of the word's time in proportion to
    its letters.
    """
    text = word.text
    cuts = [0]
    run_start = 0
    for index in range(1, len(text) + 1):
        at_end = index == len(text)
        boundary = at_end or (is_unspaced(text[index - 1]) and is_unspaced(text[index]))
        after_punctuation = boundary and _is_closing(text[index - 1])
        if not at_end and after_punctuation and _is_closing(text[index]):
            continue  # keep closing punctuation with the text it closes
        if at_end or after_punctuation:
            cuts.extend(_even_cuts(text, run_start, index, max_piece))
            run_start = index
    if len(cuts) <= 2:
        return (word,)
    pieces = [text[a:b] for a, b in itertools.pairwise(cuts) if b > a]
    weights = [max(1, sum(char.isalnum() for char in piece)) for piece in pieces]
    total, elapsed = sum(weights), 0
    span = word.end - word.start
    out: list[WordTiming] = []
    for piece, weight in zip(pieces, weights, strict=True):
        start = word.start + span * elapsed / total
        elapsed += weight
        end = word.end if elapsed == total else word.start + span * elapsed / total
        out.append(WordTiming(piece, start, max(start, end)))
    return tuple(out)


def _is_closing(char: str) -> bool:
    return unicodedata.category(char) in ("Po", "Pe", "Pf")


def _even_cuts(text: str, start: int, end: int, max_piece: int) -> list[int]:
    """Cut points that split ``text[start:end]`` into near-equal pieces of at most ``max_piece`` characters.

    Only points between two unspaced characters qualify; the end is always included.
    """
    allowed = [i for i in range(start + 1, end) if is_unspaced(text[i - 1]) and is_unspaced(text[i])]
    count = math.ceil((end - start) / max(1, max_piece))
    cuts: list[int] = []
    for piece in range(1, count):
        target = start + (end - start) * piece / count
        best = min(allowed, key=lambda i: abs(i - target), default=None)
        if best is not None and (not cuts or best > cuts[-1]):
            cuts.append(best)
    return [*cuts, end]


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

    Runs of Chinese or Japanese text first become several words (see
    :func:`split_unspaced`). A phrase ends after ``max_words`` words, before
    it would pass ``max_chars`` columns (a CJK character counts as two, see
    :func:`display_width`), after a sentence end, after a clause end (once it
    has two words), or at a pause longer than ``pause`` seconds. Words that
    start at the same instant stay together. Each phrase shows from its first
    word until the next phrase starts, or ``linger`` seconds after its last
    word ends, whichever is sooner, and never past ``duration``.
    """
    groups: list[list[WordTiming]] = []
    current: list[WordTiming] = []
    for word in (piece for spoken in words for piece in split_unspaced(spoken)):
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
    if display_width(join_words([*(w.text for w in current), word.text])) > max_chars:
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


CAPTION_CENTRES: dict[CaptionPosition, tuple[float, float, float]] = {
    CaptionPosition.TOP: (0.22, 0.2, 0.18),
    CaptionPosition.MIDDLE: (0.5, 0.5, 0.5),
    CaptionPosition.BOTTOM: (0.62, 0.72, 0.80),
}
"""Where a caption band's centre sits, as a fraction of the height, in vertical, square and wide frames.

A vertical frame's top band stays under the apps' top tabs and its bottom
band above their caption bar and buttons.
"""


def caption_geometry(aspect: Aspect, style: CaptionStyle = DEFAULT_CAPTION_STYLE) -> CaptionGeometry:
    """The caption area for a frame of ``aspect``, placed and sized as ``style`` asks."""
    w, h = aspect.width, aspect.height
    shape = 0 if h > w else 1 if h == w else 2
    centre = int(h * CAPTION_CENTRES[style.position][shape])
    if shape == 0:  # vertical: clear of the right-hand buttons
        base = CaptionGeometry(w, h, int(w * 0.80), centre, int(h * 0.05), int(h * 0.024))
    elif shape == 1:
        base = CaptionGeometry(w, h, int(w * 0.84), centre, int(h * 0.066), int(h * 0.03))
    else:
        base = CaptionGeometry(w, h, int(w * 0.76), centre, int(h * 0.074), int(h * 0.035))
    size = style.size or max(4, round(base.font_size * style.scale))
    return evolve(
        base,
        font_size=size,
        min_font_size=max(4, min(base.min_font_size, size // 2)),
        max_lines=style.max_lines,
    )


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
        if current and measure(join_words([words[i] for i in candidate]), size) > max_width:
            lines.append(tuple(current))
            current = [index]
        else:
            current = candidate
    if current:
        lines.append(tuple(current))
    return tuple(lines)
