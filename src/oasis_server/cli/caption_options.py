"""``oasis render``'s caption options: a preset and the choices that replace its own."""

from __future__ import annotations

import argparse

from oasis_core.domain.caption_style import (
    MAX_SIZE,
    MAX_WORDS,
    MIN_SIZE,
    MIN_WORDS,
    POSITIONS,
    PRESET_IDS,
    CaptionStyle,
    caption_style,
)

OPTIONS = (
    "preset",
    "font",
    "size",
    "colour",
    "highlight_colour",
    "outline_colour",
    "position",
    "uppercase",
    "words",
)


def add_caption_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--caption-preset``, ``--caption-font`` … to ``parser``, in a group of their own."""
    group = parser.add_argument_group("captions", "how the captions look (default: the classic preset)")
    group.add_argument("--caption-preset", choices=PRESET_IDS, help="the look to start from")
    group.add_argument(
        "--caption-font", metavar="FONT", help="a font file, or an installed font's name such as 'Lato Bold'"
    )
    group.add_argument(
        "--caption-size",
        type=int,
        metavar="PX",
        help=f"largest font size in pixels, {MIN_SIZE} to {MAX_SIZE} (text still shrinks to fit)",
    )
    group.add_argument("--caption-colour", metavar="COLOUR", help="text colour: #rrggbb, #rrggbbaa or a name")
    group.add_argument("--caption-highlight-colour", metavar="COLOUR", help="colour of the word being spoken")
    group.add_argument(
        "--caption-outline-colour", metavar="COLOUR", help="outline colour (the box's, if boxed)"
    )
    group.add_argument("--caption-position", choices=POSITIONS, help="where the captions sit")
    group.add_argument(
        "--caption-uppercase",
        action=argparse.BooleanOptionalAction,
        help="write the captions in capitals (or not, with --no-caption-uppercase)",
    )
    group.add_argument(
        "--caption-words", type=int, metavar="N", help=f"most words shown at once, {MIN_WORDS} to {MAX_WORDS}"
    )


def caption_choice(args: argparse.Namespace) -> CaptionStyle | None:
    """The style the options ask for; ``None`` when none was given. Raises ``InvalidInput`` for a bad value."""
    given = {name: getattr(args, f"caption_{name}", None) for name in OPTIONS}
    if all(value is None for value in given.values()):
        return None
    return caption_style(
        given["preset"],
        font=given["font"],
        size=given["size"],
        colour=given["colour"],
        highlight_colour=given["highlight_colour"],
        outline_colour=given["outline_colour"],
        position=given["position"],
        uppercase=given["uppercase"],
        words_per_phrase=given["words"],
    )
