"""The caption font: Lato Black from the ``font-lato`` wheel, else Pillow's bundled font."""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

from PIL import ImageFont

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont


@functools.cache
def default_font_path() -> Path | None:
    """The bundled caption font file, if the ``font-lato`` package is installed."""
    try:
        path = resources.files("font_lato") / "files" / "Lato-Black.ttf"
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


@functools.lru_cache(maxsize=64)
def load_font(path: str | None, size: int) -> ImageFont.FreeTypeFont:
    """The font at ``path`` (or the default) at ``size`` pixels."""
    chosen = path or (str(default_font_path()) if default_font_path() else None)
    if chosen:
        return ImageFont.truetype(chosen, size)
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        raise RuntimeError("Captions need Pillow with FreeType support")
    return font
