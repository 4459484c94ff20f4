"""A still of a caption style: the first phrase of a sample text over a neutral background.

Drawn by the same painter as a render (same fonts, layout, colours and
band position), at half the frame's size so it is quick to make and send.
The second word is highlighted, as if it were being spoken.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from oasis_core.domain.caption_style import CaptionStyle
from oasis_core.domain.media import Aspect, WordTiming
from oasis_core.errors import InvalidInput
from oasis_core.services.captions import caption_geometry, plan_captions
from oasis_plugins.pyav.caption_painter import CaptionPainter

WORD_SECONDS = 0.4
TOP_GREY, BOTTOM_GREY = (92, 100, 112), (38, 42, 50)
"""The background: a plain slate gradient, light enough to show a dark box and dark enough for white text."""


def neutral_background(width: int, height: int) -> Image.Image:
    """A vertical gradient from :data:`TOP_GREY` to :data:`BOTTOM_GREY`."""
    ramp = np.linspace(0.0, 1.0, height, dtype=np.float32)[:, None]
    top, bottom = np.array(TOP_GREY, np.float32), np.array(BOTTOM_GREY, np.float32)
    column = (top + (bottom - top) * ramp).astype(np.uint8)
    pixels = np.broadcast_to(column[:, None, :], (height, width, 3))
    return Image.fromarray(np.ascontiguousarray(pixels), "RGB").convert("RGBA")


def preview_png(
    style: CaptionStyle, aspect: Aspect, text: str, *, font_path: str | None = None, fonts: str | None = None
) -> bytes:
    """PNG bytes of ``text``'s first phrase drawn as ``style`` in ``aspect``'s frame at half size."""
    words = [
        WordTiming(word, index * WORD_SECONDS, (index + 1) * WORD_SECONDS)
        for index, word in enumerate(text.split())
    ]
    if not words:
        raise InvalidInput("The preview text is empty", field="text")
    half = Aspect(aspect.id, aspect.width // 2, aspect.height // 2)
    duration = words[-1].end + 1.0
    phrases = plan_captions(words, duration, max_words=style.words_per_phrase, max_chars=style.phrase_columns)
    painter = CaptionPainter(caption_geometry(half, style), font_path, fonts=fonts, style=style)
    height, cues = painter.cues(phrases[:1], duration)
    images = [cue.image for cue in cues if cue.image is not None]
    picture = neutral_background(half.width, half.height)
    if images:
        picture.alpha_composite(images[min(1, len(images) - 1)], (0, painter.strip_top(height)))
    out = io.BytesIO()
    picture.convert("RGB").save(out, "PNG", optimize=False)
    return out.getvalue()
