"""How captions look: named presets, and a font, size, colours, position and phrasing on top of one.

A :class:`CaptionStyle` is a pure value: the compositor draws with it, the
caption planner takes its ``words_per_phrase``. :func:`caption_style` builds
one from a preset and the choices a user overrides, checking each; errors
name the field as the API does (``captions.colour``).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from typing import Any

from attrs import evolve, frozen

from oasis_core.errors import InvalidInput

Colour = tuple[int, int, int, int]
"""Red, green, blue and opacity, each 0–255."""

MIN_SIZE, MAX_SIZE = 16, 200
"""The font sizes, in pixels, a style may ask for (the text still shrinks to fit the frame)."""
MIN_WORDS, MAX_WORDS = 1, 10
"""The words per phrase a style may ask for."""
MAX_FONT_LENGTH = 200

COLOUR_NAMES: dict[str, Colour] = {
    "white": (255, 255, 255, 255),
    "black": (0, 0, 0, 255),
    "yellow": (255, 214, 64, 255),
    "gold": (255, 196, 0, 255),
    "orange": (255, 140, 0, 255),
    "red": (235, 52, 52, 255),
    "pink": (255, 105, 180, 255),
    "purple": (160, 90, 255, 255),
    "blue": (50, 120, 255, 255),
    "cyan": (0, 220, 255, 255),
    "green": (60, 220, 90, 255),
    "lime": (170, 255, 0, 255),
    "grey": (150, 150, 150, 255),
    "gray": (150, 150, 150, 255),
}
"""Colour names a user may give instead of ``#rrggbb``."""

_HEX = re.compile(r"#?([0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")


class CaptionPosition(enum.StrEnum):
    """Where the caption band sits: ``top``, ``middle`` or ``bottom`` (clear of the apps' own buttons)."""

    TOP = "top"
    MIDDLE = "middle"
    BOTTOM = "bottom"


POSITIONS: tuple[str, ...] = tuple(p.value for p in CaptionPosition)


def parse_colour(value: str | Colour, field: str = "captions.colour") -> Colour:
    """``#rgb``, ``#rgba``, ``#rrggbb``, ``#rrggbbaa`` (``a``: opacity) or a name from :data:`COLOUR_NAMES`."""
    if isinstance(value, tuple):
        if len(value) == 4 and all(isinstance(c, int) and 0 <= c <= 255 for c in value):
            return value
        raise InvalidInput("A colour needs four whole numbers from 0 to 255", field=field)
    text = str(value).strip().lower()
    if text in COLOUR_NAMES:
        return COLOUR_NAMES[text]
    match = _HEX.fullmatch(text)
    if match is None:
        raise InvalidInput(
            f"{value!r} is not a colour: give #rrggbb, #rrggbbaa or a name", field=field, choices=COLOUR_NAMES
        )
    digits = match.group(1)
    if len(digits) in (3, 4):
        digits = "".join(d * 2 for d in digits)
    if len(digits) == 6:
        digits += "ff"
    red, green, blue, alpha = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
    return (red, green, blue, alpha)


def colour_hex(colour: Colour) -> str:
    """``colour`` as ``#rrggbb``, or ``#rrggbbaa`` when it is not opaque."""
    text = "#" + "".join(f"{c:02x}" for c in colour[:3])
    return text if colour[3] == 255 else f"{text}{colour[3]:02x}"


@frozen
class CaptionStyle:
    """How one video's captions look.

    ``colour`` is the text, ``highlight_colour`` the word being spoken,
    ``outline_colour`` the outline around letters or, for a ``box`` style,
    the box behind each line. ``outline`` is the outline's width as a
    fraction of the font size (0: none). ``size`` is the largest font size in
    pixels (``None``: the frame's default times ``scale``); captions still
    shrink to fit the frame, in at most ``max_lines`` lines. ``font`` is a font file or the name of an
    installed font (``None``: the compositor's). Build one with
    :func:`caption_style`, which checks every value.
    """

    preset: str = "classic"
    font: str | None = None
    size: int | None = None
    colour: Colour = COLOUR_NAMES["white"]
    highlight_colour: Colour = COLOUR_NAMES["yellow"]
    outline_colour: Colour = COLOUR_NAMES["black"]
    outline: float = 0.09
    box: bool = False
    shadow: bool = True
    scale: float = 1.0
    position: CaptionPosition = CaptionPosition.BOTTOM
    uppercase: bool = False
    words_per_phrase: int = 4
    max_lines: int = 2

    @property
    def phrase_columns(self) -> int:
        """The most columns a phrase may take: 26 (a short line at full size), more for longer phrases."""
        return max(26, 7 * self.words_per_phrase)

    def settings(self) -> dict[str, Any]:
        """The user's choices as JSON-ready values; ``caption_style(**style.settings())`` gives it back."""
        return {
            "preset": self.preset,
            "font": self.font,
            "size": self.size,
            "colour": colour_hex(self.colour),
            "highlight_colour": colour_hex(self.highlight_colour),
            "outline_colour": colour_hex(self.outline_colour),
            "position": self.position.value,
            "uppercase": self.uppercase,
            "words_per_phrase": self.words_per_phrase,
        }


CAPTION_PRESETS: dict[str, CaptionStyle] = {
    # today's look: white words, the spoken one yellow, a dark outline and a soft shadow
    "classic": CaptionStyle(),
    # text on a translucent dark box per line, readable over any picture
    "boxed": CaptionStyle(
        preset="boxed", outline_colour=(0, 0, 0, 170), outline=0.0, box=True, shadow=False, scale=0.9
    ),
    # large capitals with a heavy outline, three words at a time, in the middle of the frame
    "bold": CaptionStyle(
        preset="bold",
        highlight_colour=COLOUR_NAMES["lime"],
        outline=0.16,
        scale=1.15,
        position=CaptionPosition.MIDDLE,
        uppercase=True,
        words_per_phrase=3,
    ),
    # small, quiet and low: a lower third, one line of up to six words with a thin outline
    "minimal": CaptionStyle(
        preset="minimal",
        highlight_colour=(255, 236, 170, 255),
        outline=0.04,
        scale=0.6,
        words_per_phrase=6,
        max_lines=1,
    ),
}
"""The named looks; every other choice of a style starts from one of these."""
PRESET_IDS: tuple[str, ...] = tuple(CAPTION_PRESETS)
DEFAULT_CAPTION_STYLE = CAPTION_PRESETS["classic"]


def caption_style(
    preset: str | None = None,
    *,
    font: str | None = None,
    size: int | None = None,
    colour: str | Colour | None = None,
    highlight_colour: str | Colour | None = None,
    outline_colour: str | Colour | None = None,
    position: str | CaptionPosition | None = None,
    uppercase: bool | None = None,
    words_per_phrase: int | None = None,
) -> CaptionStyle:
    """The ``preset`` (default ``classic``) with every choice that is not ``None`` replacing its own.

    Raises :class:`~oasis_core.errors.InvalidInput` naming the field
    (``captions.size``) and, for closed sets, the valid values.
    """
    name = (preset or "classic").strip().lower()
    if name not in CAPTION_PRESETS:
        raise InvalidInput(f"Unknown caption preset {preset!r}", field="captions.preset", choices=PRESET_IDS)
    changes: dict[str, Any] = {}
    if font is not None:
        changes["font"] = _font(font)
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or not MIN_SIZE <= size <= MAX_SIZE:
            raise InvalidInput(
                f"The caption size must be a whole number of pixels from {MIN_SIZE} to {MAX_SIZE}",
                field="captions.size",
            )
        changes["size"] = size
    for key, value in (
        ("colour", colour),
        ("highlight_colour", highlight_colour),
        ("outline_colour", outline_colour),
    ):
        if value is not None:
            changes[key] = parse_colour(value, f"captions.{key}")
    if position is not None:
        try:
            changes["position"] = CaptionPosition(str(position).strip().lower())
        except ValueError:
            raise InvalidInput(
                f"Unknown caption position {position!r}", field="captions.position", choices=POSITIONS
            ) from None
    if uppercase is not None:
        if not isinstance(uppercase, bool):
            raise InvalidInput("uppercase must be true or false", field="captions.uppercase")
        changes["uppercase"] = uppercase
    if words_per_phrase is not None:
        if (
            isinstance(words_per_phrase, bool)
            or not isinstance(words_per_phrase, int)
            or not MIN_WORDS <= words_per_phrase <= MAX_WORDS
        ):
            raise InvalidInput(
                f"words_per_phrase must be a whole number from {MIN_WORDS} to {MAX_WORDS}",
                field="captions.words_per_phrase",
            )
        changes["words_per_phrase"] = words_per_phrase
    return evolve(CAPTION_PRESETS[name], **changes)


def caption_style_from(value: CaptionStyle | str | Mapping[str, Any] | None) -> CaptionStyle:
    """A style from what an entry point holds: a style, a preset name, saved :meth:`~CaptionStyle.settings`.

    ``None`` is the classic look. A mapping with a key that is not a choice is refused.
    """
    if value is None:
        return DEFAULT_CAPTION_STYLE
    if isinstance(value, CaptionStyle):
        return value
    if isinstance(value, str):
        return caption_style(value)
    unknown = sorted(set(value) - set(DEFAULT_CAPTION_STYLE.settings()))
    if unknown:
        raise InvalidInput(f"Unknown caption setting {unknown[0]!r}", field=f"captions.{unknown[0]}")
    return caption_style(**value)


def _font(font: str) -> str:
    cleaned = font.strip() if isinstance(font, str) else ""
    if not cleaned or len(cleaned) > MAX_FONT_LENGTH or any(ord(c) < 32 for c in cleaned):
        raise InvalidInput(
            f"The caption font must be a font name or file path of 1 to {MAX_FONT_LENGTH} characters",
            field="captions.font",
        )
    return cleaned
