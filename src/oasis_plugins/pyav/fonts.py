"""Caption fonts: one face per phrase that has a glyph for every character.

Lato Black (from the ``font-lato`` wheel) draws Latin text only; a Chinese,
Arabic or Hindi caption drawn with it would be a row of empty boxes. So each
phrase gets the first face, in this order, whose character map covers all of
its characters (see :mod:`oasis_plugins.pyav.font_files`):

1. the compositor's ``font`` setting (a file or a folder);
2. the ``fonts`` setting (``OASIS_CAPTION_FONTS``): files or folders separated
   by the path separator (``:`` on Linux and macOS, ``;`` on Windows);
3. Lato Black;
4. fonts installed on the system (Debian's ``fonts-noto-core`` and
   ``fonts-noto-cjk`` cover nearly every script), then fonts shipped in
   installed wheels (``noto-cjk-sans-otc``), in the order of
   :func:`preference`: named after the text's script, sans-serif, heavy.

In a collection such as Noto Sans CJK, the regional face (JP, KR, SC, TC, HK)
follows the text's language, so a Japanese caption uses Japanese glyph forms.
When no face covers a phrase, the one that covers most of it is used and a
warning is logged once per missing character: a caption is never refused.

Fonts load with Pillow's complex layout engine (raqm) when it is available,
which joins Arabic letters, orders right-to-left text and shapes Devanagari.
"""

from __future__ import annotations

import functools
import logging
import os
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path

from PIL import ImageFont, features

from oasis_core.errors import InvalidInput
from oasis_plugins.pyav.font_files import (
    FontFace,
    coverage,
    face_count,
    font_files_in,
    system_font_files,
    wheel_font_files,
)
from oasis_plugins.pyav.scripts import CJK_REGIONS, needs_glyph, scripts_of

log = logging.getLogger(__name__)

FontType = ImageFont.FreeTypeFont | ImageFont.ImageFont

_WEIGHTS = (
    ("black", 0),
    ("heavy", 0),
    ("extrabold", 1),
    ("ultrabold", 1),
    ("semibold", 3),
    ("demibold", 3),
    ("bold", 2),
    ("medium", 4),
    ("extralight", 7),
    ("light", 6),
    ("thin", 7),
)
_AVOID = ("mono", "italic", "oblique", "unjoined", "condensed", "looped", "slanted", "display")
_warned: set[str] = set()
_uncoverable: set[str] = set()


@functools.cache
def default_font_path() -> Path | None:
    """The bundled caption font file, if the ``font-lato`` package is installed."""
    try:
        path = resources.files("font_lato") / "files" / "Lato-Black.ttf"
    except ModuleNotFoundError:
        return None
    return Path(str(path)) if path.is_file() else None


@functools.cache
def layout_engine() -> ImageFont.Layout:
    """Raqm (shaping, bidirectional text) when Pillow has it, else Pillow's basic layout."""
    return ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@functools.lru_cache(maxsize=128)
def load_font(face: FontFace | None, size: int) -> ImageFont.FreeTypeFont:
    """``face`` at ``size`` pixels; ``None`` means Lato Black, or Pillow's bundled font without it."""
    if face is None:
        lato = default_font_path()
        face = FontFace(str(lato)) if lato else None
    if face is not None:
        return ImageFont.truetype(face.path, size, index=face.index, layout_engine=layout_engine())
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # Pillow built without FreeType
        raise RuntimeError("Captions need Pillow with FreeType support")
    return font


def missing_glyphs(face: FontFace, text: str) -> list[str]:
    """The characters of ``text`` (each once, in order) that ``face`` has no glyph for."""
    covered = coverage(face)
    return list(dict.fromkeys(c for c in text if needs_glyph(c) and c not in covered))


def preference(path: Path, scripts: Sequence[str]) -> tuple[int, int, int, int, int, str]:
    """How well a font file suits text in ``scripts`` by its name alone (smaller is better)."""
    name = re.sub(r"[^a-z]", "", path.stem.lower())
    named = 0 if any(word in name for word in scripts) else 1
    sans = 0 if "sans" in name else 1
    weight = next((rank for word, rank in _WEIGHTS if word in name), 5)
    avoid = sum(word in name for word in _AVOID)
    return (named, avoid, sans, weight, len(name), name)


@functools.cache
def _face_name(face: FontFace) -> str:
    try:
        family, style = ImageFont.truetype(face.path, 12, index=face.index).getname()
    except OSError:
        return ""
    return f"{family or ''} {style or ''}"


def faces_of(path: Path, region: str = "SC") -> list[FontFace]:
    """The faces of the font file ``path``; for a collection, the ``region``'s CJK face first, monospace last."""
    faces = [FontFace(str(path), index) for index in range(face_count(str(path)))]
    if len(faces) <= 1:
        return faces

    def rank(face: FontFace) -> tuple[int, int]:
        words = _face_name(face).upper().split()
        regional = 0 if region in words else 1 if not set(words) & set(CJK_REGIONS) else 2
        return ("MONO" in words, regional)

    return sorted(faces, key=rank)


def _configured(place: str | None, setting: str) -> list[Path]:
    files: list[Path] = []
    for part in (place or "").split(os.pathsep):
        if not part.strip():
            continue
        found = font_files_in(Path(part.strip()).expanduser())
        if not found:
            raise InvalidInput(
                f"The caption font {part!r} is not a font file or a folder of fonts", field=setting
            )
        files.extend(found)
    return files


class FontChooser:
    """Chooses, for each caption phrase, a face with a glyph for every character (see the module docs).

    ``font`` and ``fonts`` are the compositor's settings; ``region`` is the
    CJK face to prefer (see :func:`oasis_plugins.pyav.scripts.cjk_region`).
    Answers are remembered per text.
    """

    def __init__(self, font: str | None = None, fonts: str | None = None, *, region: str = "SC") -> None:
        self.region = region
        self._first = [*_configured(font, "font"), *_configured(fonts, "fonts")]
        lato = default_font_path()
        if lato is not None:
            self._first.append(lato)
        self._chosen: dict[str, FontFace | None] = {}

    def face_for(self, text: str) -> FontFace | None:
        """The face to draw ``text`` with (``None``: Pillow's bundled font, when no font file is found)."""
        if text not in self._chosen:
            self._chosen[text] = self._choose(text)
        return self._chosen[text]

    def _candidates(self, text: str) -> Iterable[FontFace]:
        scripts = scripts_of(text)
        for path in self._first:
            yield from faces_of(path, self.region)
        for found in (system_font_files(), wheel_font_files()):
            for path in sorted(found, key=lambda p: preference(p, scripts)):
                yield from faces_of(path, self.region)

    def _choose(self, text: str) -> FontFace | None:
        wanted = "".join(c for c in text if c not in _uncoverable)
        best: tuple[int, FontFace] | None = None
        somewhere: set[str] = set()
        for face in self._candidates(text):
            missing = missing_glyphs(face, wanted)
            if not missing:
                return face
            somewhere.update(c for c in wanted if needs_glyph(c) and c not in missing)
            if best is None or len(missing) < best[0]:
                best = (len(missing), face)
        chosen = best[1] if best else None
        lost = missing_glyphs(chosen, text) if chosen else [c for c in text if needs_glyph(c)]
        # Characters no font has are remembered, so later phrases do not search for them again.
        _uncoverable.update(c for c in lost if c not in somewhere)
        for char in lost:
            if char not in _warned:
                _warned.add(char)
                log.warning(
                    "No caption font has a glyph for %r (U+%04X)%s; it will show as a box. Install a "
                    "font for it (e.g. the Debian package fonts-noto-core) or point OASIS_CAPTION_FONTS at one.",
                    char,
                    ord(char),
                    " together with the rest of its phrase" if char in somewhere else "",
                )
        return chosen
