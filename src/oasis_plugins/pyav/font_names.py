"""A caption style's ``font``: a font file, or the name of a font installed in a wheel or on the system.

A name is matched against font file names without their punctuation and
case, so ``Lato Bold``, ``lato-bold`` and ``Lato-Bold.ttf`` are the same
font (a bare file name is a path only when that file is in the current folder). A family name alone (``Lato``) picks its heaviest upright face, as
captions want (see :func:`oasis_plugins.pyav.fonts.preference`).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from oasis_core.errors import InvalidInput
from oasis_plugins.pyav.font_files import (
    FONT_SUFFIXES,
    FontFace,
    coverage,
    font_files_in,
    system_font_files,
    wheel_font_files,
)
from oasis_plugins.pyav.fonts import preference

FIELD = "captions.font"


def _key(name: str) -> str:
    stem = Path(name).stem if Path(name).suffix.lower() in FONT_SUFFIXES else name
    return re.sub(r"[^a-z0-9]", "", stem.lower())


def is_font_path(font: str) -> bool:
    """Whether ``font`` is meant as a file or folder: it has a folder separator, or names a file here."""
    return "/" in font or "\\" in font or font.startswith("~") or Path(font).is_file()


def _draws_latin(path: Path) -> bool:
    try:
        covered = coverage(FontFace(str(path)))
    except (OSError, ValueError):
        return False
    return all(char in covered for char in "Aa")


@functools.cache
def wheel_font_names() -> tuple[str, ...]:
    """The names of the caption fonts installed in Python packages (text fonts only, not icon fonts)."""
    return tuple(sorted({path.stem for path in wheel_font_files() if _draws_latin(path)}))


def find_font(font: str) -> str:
    """The file a style's ``font`` names: a path as given, else an installed font by name.

    Raises :class:`InvalidInput` (``captions.font``) when there is no such file
    or no installed font of that name; the message lists the wheel fonts.
    """
    if is_font_path(font):
        path = Path(font).expanduser()
        if not font_files_in(path):
            raise InvalidInput(
                f"The caption font {font!r} is not a font file or a folder of fonts", field=FIELD
            )
        return str(path)
    found = _by_name(_key(font))
    if found is None:
        raise InvalidInput(
            f"No installed font is called {font!r}; give a font file's path or install the font",
            field=FIELD,
            choices=wheel_font_names(),
        )
    return str(found)


@functools.cache
def _by_name(key: str) -> Path | None:
    if not key:
        return None
    candidates = [*wheel_font_files(), *system_font_files()]
    exact = [path for path in candidates if _key(path.name) == key]
    family = [path for path in candidates if _key(path.name).startswith(key)]
    for group in (exact, family):
        if group:
            return min(group, key=lambda path: preference(path, ()))
    return None
