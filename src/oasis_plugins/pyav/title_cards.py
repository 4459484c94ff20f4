"""Text that is not timed to the voice: the end card and the thumbnail.

Both are drawn with the caption painter (same fonts per script, outline and
shadow as the captions), once per video. The end card rides in the caption
strip: its fade-in is a handful of strips with rising opacity, so it costs
no more per frame than a caption. The thumbnail is the first scene with the
quote set large in the middle and the attribution under it: a feed shows
the thumbnail before anyone presses play, and a random caption frame says
far less than the quote itself.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
from attrs import evolve
from PIL import Image, ImageOps

from oasis_core.domain.caption_style import DEFAULT_CAPTION_STYLE, CaptionStyle
from oasis_core.domain.captions import CaptionPhrase
from oasis_core.domain.media import Aspect, WordTiming
from oasis_core.ports.compositor import EndCard
from oasis_core.services.captions import CaptionGeometry, caption_geometry, display_width, split_unspaced
from oasis_core.services.render import split_sentences
from oasis_plugins.pyav.caption_painter import CaptionCue, CaptionPainter

END_CARD_FADE = 1.2
"""Seconds the end card takes to fade in."""
FADE_STEPS_PER_SECOND = 15
"""Opacity steps per second of fade: every other frame at 30 fps, smooth to the eye."""
THUMBNAIL_CHARACTERS = 160
"""A script longer than this shows only its first sentence (the hook) on the thumbnail."""
THUMBNAIL_WORDS = 30
"""At most this many words on the thumbnail; a longer first sentence ends with an ellipsis."""
THUMBNAIL_DIMMING = 0.38
"""How much the thumbnail's picture is darkened, so the text on it reads at a glance."""


def untimed_phrase(text: str) -> CaptionPhrase | None:
    """``text`` as a caption phrase without timing (Chinese and Japanese runs cut into short pieces)."""
    words = tuple(piece for word in text.split() for piece in split_unspaced(WordTiming(word, 0.0, 0.0)))
    return CaptionPhrase(words, 0.0, 0.0) if words else None


def thumbnail_text(script: str) -> str:
    """What the thumbnail says: the whole script when short, else its first sentence (shortened if need be)."""
    text = " ".join(script.split())
    if display_width(text) > THUMBNAIL_CHARACTERS:
        text = next(iter(split_sentences(text)), text)
    words = text.split()
    if len(words) > THUMBNAIL_WORDS:
        text = " ".join(words[:THUMBNAIL_WORDS]).rstrip(",;:—–-") + "…"
    return text


def script_of(phrases: Iterable[CaptionPhrase]) -> str:
    """The captions' words joined back into a script (for compositions that carry no script)."""
    return " ".join(text for phrase in phrases for text in phrase.texts)


class TitleCards:
    """Draws one video's end card and thumbnail with the compositor's font settings."""

    def __init__(
        self,
        aspect: Aspect,
        font_path: str | None,
        fonts: str | None,
        language: str | None = None,
        style: CaptionStyle = DEFAULT_CAPTION_STYLE,
    ) -> None:
        self.aspect = aspect
        self.style = style
        self.captions = caption_geometry(aspect, style)
        self.font_path, self.fonts, self.language = font_path, fonts, language

    def _painter(self, geometry: CaptionGeometry, style: CaptionStyle | None = None) -> CaptionPainter:
        return CaptionPainter(
            geometry, self.font_path, fonts=self.fonts, language=self.language, style=style or self.style
        )

    def end_card(self, card: EndCard) -> Image.Image | None:
        """The end card's strip (as wide as the frame, transparent around the text), or ``None`` if blank."""
        phrase = untimed_phrase(card.text)
        if phrase is None:
            return None
        return self._painter(self.captions).still(phrase)

    def thumbnail(self, background: Path, script: str, credit: str | None, path: Path) -> None:
        """Write the JPEG thumbnail: ``background`` filling the frame, dimmed, the text large in the middle.

        ``credit`` (the end card's line, ``— Epictetus``) goes under the text, smaller.
        """
        width, height = self.aspect.width, self.aspect.height
        with Image.open(background) as image:
            picture = ImageOps.fit(image.convert("RGB"), (width, height), Image.Resampling.BILINEAR)
        picture = Image.blend(picture, Image.new("RGB", picture.size), THUMBNAIL_DIMMING).convert("RGBA")
        short = min(width, height)
        text_geometry = CaptionGeometry(
            width,
            height,
            max_width=int(width * 0.84),
            center_y=height // 2,
            font_size=round(short * 0.1),
            min_font_size=round(short * 0.04),
            max_lines=7 if height > width else 5,
            margin=round(short * 0.06),
        )
        strips = []
        # the captions' font, colour and capitals, with the outline and shadow that keep large text legible
        look = evolve(
            DEFAULT_CAPTION_STYLE,
            font=self.style.font,
            colour=self.style.colour,
            uppercase=self.style.uppercase,
        )
        phrase = untimed_phrase(thumbnail_text(script))
        if phrase is not None:
            strips.append(self._painter(text_geometry, look).still(phrase))
        credit_phrase = untimed_phrase(credit) if credit else None
        if credit_phrase is not None:
            small = evolve(text_geometry, font_size=round(short * 0.05), min_font_size=round(short * 0.03))
            strips.append(self._painter(small, look).still(credit_phrase))
        top = max(0, (height - sum(strip.height for strip in strips)) // 2)
        for strip in strips:
            picture.alpha_composite(strip.crop((0, 0, width, min(strip.height, height - top))), (0, top))
            top = min(height - 1, top + strip.height)
        picture.convert("RGB").save(path, "JPEG", quality=88)


def padded(image: Image.Image | None, height: int) -> Image.Image | None:
    """``image`` centred in a transparent strip ``height`` tall (``None`` stays ``None``)."""
    if image is None or image.height >= height:
        return image
    strip = Image.new("RGBA", (image.width, height), (0, 0, 0, 0))
    strip.paste(image, (0, (height - image.height) // 2))
    return strip


def with_end_card(
    cues: Iterable[CaptionCue], card: Image.Image | None, start: float, height: int, until: float
) -> Iterator[CaptionCue]:
    """The caption ``cues`` (in strips ``height`` tall) up to ``start``, then the end card fading in and held.

    The held card is given once more at ``until`` (the video's end): the
    overlay stops drawing a strip once its input ends, so the card must
    still be coming when the last frame is made.
    """
    for cue in cues:
        if card is not None and cue.start >= start:
            break
        yield CaptionCue(cue.start, padded(cue.image, height))
    if card is None:
        return
    strip = np.asarray(padded(card, height)).copy()
    alpha = strip[..., 3].astype(np.float32)
    steps = max(1, math.ceil(END_CARD_FADE * FADE_STEPS_PER_SECOND))
    for step in range(1, steps + 1):
        strip[..., 3] = (alpha * (step / steps)).astype(np.uint8)
        yield CaptionCue(start + END_CARD_FADE * (step - 1) / steps, Image.fromarray(strip.copy(), "RGBA"))
    yield CaptionCue(max(until, start + END_CARD_FADE), Image.fromarray(strip, "RGBA"))
