"""Draws caption phrases into transparent strips, once per highlighted word.

Each phrase is drawn twice (all words white, all words highlighted), with a
soft shadow and a dark stroke; each highlight state is then the white strip
with one word's box pasted from the highlighted one. Drawing per phrase, not
per frame, keeps captions nearly free during encoding.

Every phrase is drawn with a face that has all of its characters (see
:mod:`oasis_plugins.pyav.fonts`). Words are measured and drawn one by one with
the same layout engine, so each word's highlight box fits it; a line of
right-to-left text (Arabic, Hebrew) places its words from the right, and
Chinese and Japanese words are joined without spaces.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

from attrs import evolve, frozen
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from oasis_core.domain.caption_style import DEFAULT_CAPTION_STYLE, CaptionStyle
from oasis_core.domain.captions import CaptionPhrase
from oasis_core.services.captions import (
    CaptionGeometry,
    CaptionLayout,
    join_words,
    layout_caption,
    word_gap,
)
from oasis_plugins.pyav.font_files import FontFace
from oasis_plugins.pyav.font_names import find_font
from oasis_plugins.pyav.fonts import FontChooser, load_font
from oasis_plugins.pyav.scripts import cjk_region, is_right_to_left

SHADOW_ALPHA = 150


@frozen
class TextBlock:
    """A phrase's lines: ``step`` pixels from one line to the next; ink from ``top`` to ``bottom``.

    ``top`` and ``bottom`` are measured from the first line's top, outline included.
    """

    step: int
    top: int
    bottom: int

    @property
    def height(self) -> int:
        """The height of the ink, in pixels."""
        return self.bottom - self.top


@frozen
class CaptionCue:
    """One caption state: a strip image shown from ``start`` seconds (``None`` image: no caption)."""

    start: float
    image: Image.Image | None


class CaptionPainter:
    """Lays out and draws the captions of one video for one frame geometry.

    ``font_path`` and ``fonts`` are the compositor's ``font`` and ``fonts``
    settings; ``language`` (a tag such as ``ja`` or ``zh-tw``) picks the
    regional forms of Chinese characters, which are otherwise guessed from
    the captions' text. ``style`` sets the colours, outline, shadow, box and
    capitals; its ``font`` (a file, or an installed font's name) comes before
    ``font_path``.
    """

    def __init__(
        self,
        geometry: CaptionGeometry,
        font_path: str | None = None,
        *,
        fonts: str | None = None,
        language: str | None = None,
        style: CaptionStyle = DEFAULT_CAPTION_STYLE,
    ) -> None:
        self.geometry = geometry
        self.style = style
        self.font_path = find_font(style.font) if style.font else font_path
        self.fonts = fonts
        self.language = language
        self._chooser: FontChooser | None = None

    def chooser(self, phrases: Sequence[CaptionPhrase] = ()) -> FontChooser:
        """The font chooser for this video (made on first use, its CJK region from ``phrases``)."""
        if self._chooser is None:
            region = cjk_region((text for phrase in phrases for text in phrase.texts), self.language)
            self._chooser = FontChooser(self.font_path, self.fonts, region=region)
        return self._chooser

    def face(self, phrase: CaptionPhrase) -> FontFace | None:
        """The face ``phrase`` is drawn with."""
        return self.chooser().face_for(" ".join(phrase.texts))

    def stroke(self, size: int) -> int:
        """The outline width for text at ``size`` (none when the style has no outline)."""
        return max(2, round(size * self.style.outline)) if self.style.outline > 0 else 0

    def measure(self, text: str, size: int, face: FontFace | None = None) -> float:
        """The drawn width of ``text`` at ``size`` in ``face``, outline included."""
        return float(load_font(face, size).getlength(text)) + 2 * self.stroke(size)

    def layout(self, phrase: CaptionPhrase) -> CaptionLayout:
        """Wrap one phrase to fit the frame, measured in the phrase's own face."""
        face = self.face(phrase)
        return layout_caption(phrase.texts, lambda text, size: self.measure(text, size, face), self.geometry)

    def block(self, phrase: CaptionPhrase, layout: CaptionLayout) -> TextBlock:
        """Where ``phrase``'s ink reaches, in its own face: scripts with tall letters get more room."""
        font = load_font(self.face(phrase), layout.font_size)
        stroke = self.stroke(layout.font_size)
        lines = [join_words([phrase.texts[i] for i in line]) for line in layout.lines]
        tallest = max(_ink_height(font.getbbox(line)) for line in lines)
        step = max(layout.line_height, tallest)
        boxes = [font.getbbox(line, stroke_width=stroke) for line in lines]
        top = min(row * step + box[1] for row, box in enumerate(boxes))
        bottom = max(row * step + box[3] for row, box in enumerate(boxes))
        return TextBlock(step, round(top), round(bottom))

    def strip_height(self, layouts: list[CaptionLayout], blocks: list[TextBlock]) -> int:
        """One strip height that holds every phrase (even, for 4:2:0 video)."""
        pairs = zip(layouts, blocks, strict=True)
        tallest = max((block.height + 2 * self._padding(lay.font_size) for lay, block in pairs), default=2)
        return min(self.geometry.frame_height, tallest + tallest % 2)

    def strip_top(self, height: int) -> int:
        """Where the strip's top edge sits in the frame, kept inside the margins."""
        top = self.geometry.center_y - height // 2
        low = self.geometry.margin
        high = self.geometry.frame_height - self.geometry.margin - height
        return max(0, min(max(low, top), max(high, 0)))

    def still(self, phrase: CaptionPhrase) -> Image.Image:
        """``phrase`` drawn once in white, shadow and outline included, in a strip just tall enough.

        For text that is not timed to the voice: the end card and the thumbnail.
        """
        phrase = self.styled(phrase)
        layout = self.layout(phrase)
        block = self.block(phrase, layout)
        return self._draw(phrase, layout, block, self.strip_height([layout], [block]))[0]

    def cues(self, phrases: tuple[CaptionPhrase, ...], duration: float) -> tuple[int, Iterator[CaptionCue]]:
        """The strip height and, lazily, every caption state in time order (with blanks in the gaps)."""
        phrases = tuple(self.styled(p) for p in phrases)
        self.chooser(phrases)
        layouts = [self.layout(p) for p in phrases]
        blocks = [self.block(p, lay) for p, lay in zip(phrases, layouts, strict=True)]
        height = self.strip_height(layouts, blocks)
        return height, self._cues(phrases, layouts, blocks, height, duration)

    def _cues(
        self,
        phrases: tuple[CaptionPhrase, ...],
        layouts: list[CaptionLayout],
        blocks: list[TextBlock],
        height: int,
        duration: float,
    ) -> Iterator[CaptionCue]:
        shown_until = 0.0
        for phrase, layout, block in zip(phrases, layouts, blocks, strict=True):
            segments = [s for s in phrase.segments() if s.end > s.start and s.start < duration]
            if not segments:
                continue
            if segments[0].start > shown_until:
                yield CaptionCue(shown_until, None)
            plain, highlighted, boxes = self._draw(phrase, layout, block, height)
            for segment in segments:
                image = plain.copy()
                box = boxes[segment.active]
                image.paste(highlighted.crop(box), box[:2])
                yield CaptionCue(segment.start, image)
            shown_until = segments[-1].end
        yield CaptionCue(shown_until, None)

    def styled(self, phrase: CaptionPhrase) -> CaptionPhrase:
        """``phrase`` with its words as the style writes them (in capitals for an ``uppercase`` style)."""
        if not self.style.uppercase:
            return phrase
        return evolve(phrase, words=tuple(evolve(w, text=w.text.upper()) for w in phrase.words))

    def _padding(self, size: int) -> int:
        return self.stroke(size) + max(4, size // 5)

    def _draw(
        self, phrase: CaptionPhrase, layout: CaptionLayout, block: TextBlock, height: int
    ) -> tuple[Image.Image, Image.Image, list[tuple[int, int, int, int]]]:
        size = layout.font_size
        font = load_font(self.face(phrase), size)
        stroke = self.stroke(size)
        width = self.geometry.frame_width
        texts = phrase.texts
        top = (height - block.height) // 2 - block.top
        positions = _positions(texts, layout.lines, font, width, top, block.step)
        style = self.style
        shadow = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        if style.shadow:
            shadow_draw = ImageDraw.Draw(shadow)
            offset = max(2, size // 18)
            for text, (x, y) in zip(texts, positions, strict=True):
                shadow_draw.text(
                    (x + offset, y + offset),
                    text,
                    font=font,
                    fill=(0, 0, 0, SHADOW_ALPHA),
                    stroke_width=stroke,
                )
            shadow = shadow.filter(ImageFilter.GaussianBlur(max(2, size // 10)))
        if style.box:
            _draw_boxes(shadow, texts, layout.lines, positions, font, style.outline_colour)
        plain, highlighted = shadow.copy(), shadow.copy()
        boxes: list[tuple[int, int, int, int]] = []
        for target, colour in ((plain, style.colour), (highlighted, style.highlight_colour)):
            draw = ImageDraw.Draw(target)
            for text, (x, y) in zip(texts, positions, strict=True):
                draw.text(
                    (x, y),
                    text,
                    font=font,
                    fill=colour,
                    stroke_width=stroke,
                    stroke_fill=style.outline_colour,
                )
        draw = ImageDraw.Draw(plain)
        for text, (x, y) in zip(texts, positions, strict=True):
            left, upper, right, lower = draw.textbbox((x, y), text, font=font, stroke_width=stroke)
            boxes.append(
                (
                    max(0, int(left)),
                    max(0, int(upper)),
                    min(width, int(right) + 1),
                    min(height, int(lower) + 1),
                )
            )
        return plain, highlighted, boxes


def _draw_boxes(
    image: Image.Image,
    texts: Sequence[str],
    lines: Sequence[Sequence[int]],
    positions: Sequence[tuple[float, float]],
    font: ImageFont.FreeTypeFont,
    colour: tuple[int, int, int, int],
) -> None:
    """A rounded box behind each line of text, as wide as the line plus a margin (it stays in the strip)."""
    draw = ImageDraw.Draw(image)
    size = int(font.size)
    pad_x, pad_y = max(6, size // 3), max(4, size // 6)
    for line in lines:
        edges = [draw.textbbox(positions[i], texts[i], font=font) for i in line]
        left = max(0, min(e[0] for e in edges) - pad_x)
        right = min(image.width - 1, max(e[2] for e in edges) + pad_x)
        top = max(0, min(e[1] for e in edges) - pad_y)
        bottom = min(image.height - 1, max(e[3] for e in edges) + pad_y)
        draw.rounded_rectangle((left, top, right, bottom), radius=max(4, size // 4), fill=colour)


def _ink_height(box: tuple[float, float, float, float]) -> int:
    return round(box[3] - box[1])


def _positions(
    texts: Sequence[str],
    lines: Sequence[Sequence[int]],
    font: ImageFont.FreeTypeFont,
    width: int,
    top: int,
    step: int,
) -> list[tuple[float, float]]:
    """Where each word's text starts: lines centred, words left to right, or right to left for RTL text."""
    right_to_left = is_right_to_left(" ".join(texts))
    positions: list[tuple[float, float]] = [(0.0, 0.0)] * len(texts)
    for row, line in enumerate(lines):
        widths = [float(font.getlength(texts[i])) for i in line]
        gaps = [float(font.getlength(word_gap(texts[a], texts[b]))) for a, b in itertools.pairwise(line)]
        line_width = sum(widths) + sum(gaps)
        y = top + row * step
        x = (width - line_width) / 2
        if right_to_left:
            x += line_width
        for position, (i, word_width) in enumerate(zip(line, widths, strict=True)):
            gap = gaps[position] if position < len(gaps) else 0.0
            if right_to_left:
                positions[i] = (x - word_width, y)
                x -= word_width + gap
            else:
                positions[i] = (x, y)
                x += word_width + gap
    return positions
