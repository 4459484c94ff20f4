"""Draws caption phrases into transparent strips, once per highlighted word.

Each phrase is drawn twice (all words white, all words highlighted), with a
soft shadow and a dark stroke; each highlight state is then the white strip
with one word's box pasted from the highlighted one. Drawing per phrase, not
per frame, keeps captions nearly free during encoding.
"""

from __future__ import annotations

from collections.abc import Iterator

from attrs import frozen
from PIL import Image, ImageDraw, ImageFilter

from oasis_core.domain.captions import CaptionPhrase
from oasis_core.services.captions import CaptionGeometry, CaptionLayout, layout_caption
from oasis_plugins.pyav.fonts import load_font

TEXT_COLOUR = (255, 255, 255, 255)
HIGHLIGHT_COLOUR = (255, 214, 64, 255)
STROKE_COLOUR = (0, 0, 0, 255)
SHADOW_ALPHA = 150


@frozen
class CaptionCue:
    """One caption state: a strip image shown from ``start`` seconds (``None`` image: no caption)."""

    start: float
    image: Image.Image | None


class CaptionPainter:
    """Lays out and draws the captions of one video for one frame geometry."""

    def __init__(self, geometry: CaptionGeometry, font_path: str | None = None) -> None:
        self.geometry = geometry
        self.font_path = font_path

    def stroke(self, size: int) -> int:
        """The outline width for text at ``size``."""
        return max(2, round(size * 0.09))

    def measure(self, text: str, size: int) -> float:
        """The drawn width of ``text`` at ``size``, outline included."""
        return float(load_font(self.font_path, size).getlength(text)) + 2 * self.stroke(size)

    def layout(self, phrase: CaptionPhrase) -> CaptionLayout:
        """Wrap one phrase to fit the frame."""
        return layout_caption(phrase.texts, self.measure, self.geometry)

    def strip_height(self, layouts: list[CaptionLayout]) -> int:
        """One strip height that holds every phrase (even, for 4:2:0 video)."""
        tallest = max((lay.height + 2 * self._padding(lay.font_size) for lay in layouts), default=2)
        return min(self.geometry.frame_height, tallest + tallest % 2)

    def strip_top(self, height: int) -> int:
        """Where the strip's top edge sits in the frame, kept inside the margins."""
        top = self.geometry.center_y - height // 2
        low = self.geometry.margin
        high = self.geometry.frame_height - self.geometry.margin - height
        return max(0, min(max(low, top), max(high, 0)))

    def cues(self, phrases: tuple[CaptionPhrase, ...], duration: float) -> tuple[int, Iterator[CaptionCue]]:
        """The strip height and, lazily, every caption state in time order (with blanks in the gaps)."""
        layouts = [self.layout(p) for p in phrases]
        height = self.strip_height(layouts)
        return height, self._cues(phrases, layouts, height, duration)

    def _cues(
        self, phrases: tuple[CaptionPhrase, ...], layouts: list[CaptionLayout], height: int, duration: float
    ) -> Iterator[CaptionCue]:
        shown_until = 0.0
        for phrase, layout in zip(phrases, layouts, strict=True):
            segments = [s for s in phrase.segments() if s.end > s.start and s.start < duration]
            if not segments:
                continue
            if segments[0].start > shown_until:
                yield CaptionCue(shown_until, None)
            plain, highlighted, boxes = self._draw(phrase, layout, height)
            for segment in segments:
                image = plain.copy()
                box = boxes[segment.active]
                image.paste(highlighted.crop(box), box[:2])
                yield CaptionCue(segment.start, image)
            shown_until = segments[-1].end
        yield CaptionCue(shown_until, None)

    def _padding(self, size: int) -> int:
        return self.stroke(size) + max(4, size // 5)

    def _draw(
        self, phrase: CaptionPhrase, layout: CaptionLayout, height: int
    ) -> tuple[Image.Image, Image.Image, list[tuple[int, int, int, int]]]:
        size = layout.font_size
        font = load_font(self.font_path, size)
        stroke = self.stroke(size)
        width = self.geometry.frame_width
        texts = phrase.texts
        top = (height - layout.height) // 2
        positions: list[tuple[float, float]] = [(0.0, 0.0)] * len(texts)
        for row, line in enumerate(layout.lines):
            line_text = " ".join(texts[i] for i in line)
            x = (width - self.measure(line_text, size)) / 2 + stroke
            y = top + row * layout.line_height
            for i in line:
                positions[i] = (x, y)
                x += font.getlength(texts[i] + " ")
        shadow = Image.new("RGBA", (width, height), (0, 0, 0, 0))
        shadow_draw = ImageDraw.Draw(shadow)
        offset = max(2, size // 18)
        for text, (x, y) in zip(texts, positions, strict=True):
            shadow_draw.text(
                (x + offset, y + offset), text, font=font, fill=(0, 0, 0, SHADOW_ALPHA), stroke_width=stroke
            )
        shadow = shadow.filter(ImageFilter.GaussianBlur(max(2, size // 10)))
        plain, highlighted = shadow.copy(), shadow.copy()
        boxes: list[tuple[int, int, int, int]] = []
        for target, colour in ((plain, TEXT_COLOUR), (highlighted, HIGHLIGHT_COLOUR)):
            draw = ImageDraw.Draw(target)
            for text, (x, y) in zip(texts, positions, strict=True):
                draw.text(
                    (x, y), text, font=font, fill=colour, stroke_width=stroke, stroke_fill=STROKE_COLOUR
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
