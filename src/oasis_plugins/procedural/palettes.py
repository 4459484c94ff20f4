"""The colour families of each style, and how a seed picks and nudges one.

Each style has a few hand-picked variants, each a row of named colours in
the tables below. A seed chooses a row and then turns all its hues together
by a few degrees and moves its brightness and saturation a little, so
different prompts get different colours that still belong to the style.
Numbered names (``sun1``, ``sun2`` …) form a list read with
:meth:`Palette.many`.
"""

from __future__ import annotations

import colorsys
import re
from collections.abc import Mapping

import numpy as np

from oasis_plugins.procedural.raster import RGB

_TABLES = {
    "cinematic": """
        top      mid      haze     horizon  sun      core     cloud    far      near     flare    shadow   light
        #0b2a36  #2f6470  #d49a63  #f2b272  #ffc685  #fff1d8  #3d4f5a  #355059  #0d1d24  #8fd3ff  #1f6f7a  #ff9a4a
        #101c3a  #3a5a80  #c98a6a  #f0a868  #ffbf7a  #fff0dc  #434a66  #3a4a66  #0e1426  #9cc8ff  #24507a  #ff9d5c
        #0d2b2b  #2e6b66  #d6a05a  #f5c16c  #ffd27a  #fff5d6  #3b5450  #2f5552  #0a1c1b  #9ff0e0  #1d7068  #ffb347
        #1a2330  #4b6478  #c27b5a  #e8955e  #ffb27a  #ffeede  #4c5260  #3d4a58  #111820  #a8d8ff  #2b5f75  #ff8c5a
    """,
    "minimal": """
        a        b        shape    accent   plane    line
        #e2d3bf  #cdb89c  #c47e5c  #8e9e78  #c2aa8b  #7d6450
        #c3cfd8  #a3b4c2  #efe3d0  #5c7690  #95a8b8  #4f6175
        #cfd6c3  #b0bda3  #e9d8ba  #6c7d58  #a2b08f  #55654a
        #dcd5cb  #c4bcaf  #bf8c80  #4e5258  #b6ac9e  #5e574f
    """,
    "neon": """
        space    night    glowbg   floor    deep     grid     accent   star
        #030109  #140526  #3c0b52  #07030f  #020105  #ff2fd1  #1fe4ff  #d6dcff
        #020413  #0b0e38  #2c0c52  #040615  #010208  #3d7bff  #ff4fa3  #e0e6ff
        #04020e  #190939  #46105f  #080313  #020106  #b14dff  #33ffd6  #e6dcff
        #090208  #280617  #5a0f2e  #0a0308  #030102  #ff3b5c  #2de2e6  #ffe0e8
    """,
    "nature": """
        top      low      sun      far      near     mist     cloud
        #7aa6c8  #dce7e3  #fff3d9  #9db7b1  #1c3a28  #d6e2dc  #f4f7f7
        #86a0b4  #e1e6e2  #f6f3e8  #a3b7b4  #15302c  #d5dfdc  #eef2f2
        #94b4cf  #f0e2c4  #ffe6b0  #b1b78e  #2c461d  #ece0c3  #fbf3e4
        #a2b3d6  #f2d8c8  #ffe9d8  #a5bca0  #24432b  #e8ddd4  #fbeee8
    """,
    "retro": """
        top      upper    lower    horizon  sun1     sun2     sun3     ground   mountain paper
        #2f2a4a  #8e3b46  #e0733f  #f2c27b  #f7e08b  #f4a259  #d9534f  #2b2a40  #5b3f59  #f3e3c3
        #1f4e5f  #2a7f83  #e9c46a  #f4e3b1  #fbe7a1  #f4a261  #e76f51  #1f3a44  #2a5d67  #f1e4c4
        #3d2b1f  #7f4f24  #d68c45  #f1d9a7  #ffe8a3  #f6a04d  #c8553d  #33251c  #5c3d2e  #f4e2c0
        #4a3b5c  #b56576  #e8a87c  #f7dcb5  #fff0b3  #f7a072  #d1495b  #352e40  #6d597a  #f5e4cc
    """,
    "abstract": """
        field1   field2   field3   field4   field5
        #1b2a6b  #2f7d8c  #f2b134  #ef6f4c  #7a1f3d
        #3a0ca3  #f72585  #ff9e00  #4cc9f0  #7209b7
        #004358  #1f8a70  #bedb39  #fd7400  #0b3d2e
        #14213d  #fca311  #e5383b  #6a4c93  #1982c4
    """,
    "dreamy": """
        top      mid      bottom   haze     light    bokeh1   bokeh2   bokeh3   bokeh4
        #a996d4  #b987b6  #e6a98f  #dcbcdb  #fff1e6  #fff6f0  #ffd9c7  #eddcff  #ffcfe2
        #9a8ecf  #c08bb8  #eeb49a  #d6bde0  #fff0ea  #fff4f4  #ffe0cc  #e4d8ff  #ffd0e0
        #8c84c4  #ad86bd  #e4a690  #d0b8e0  #ffeede  #fff3e8  #ffd6c0  #e0d4ff  #ffc9dc
        #b4a2dc  #c895bd  #efb592  #e6c6e0  #fff5ea  #fffaf2  #ffe2cc  #efe2ff  #ffd6e6
    """,
    "monochrome": """
        dark     wall     light    mid
        #070707  #2a2a2a  #f2f2f2  #7a7a7a
        #0b0b0b  #333333  #e8e8e8  #8a8a8a
    """,
}

HUE_JITTER: Mapping[str, float] = {
    "cinematic": 0.012,
    "minimal": 0.03,
    "neon": 0.025,
    "nature": 0.02,
    "retro": 0.015,
    "abstract": 0.06,
    "dreamy": 0.025,
    "monochrome": 0.0,
}
"""How far (in turns of the colour wheel) a seed may rotate a style's hues."""


def hex_rgb(code: str) -> RGB:
    """``"#rrggbb"`` as a colour with channels in 0..1."""
    code = code.lstrip("#")
    return (int(code[0:2], 16) / 255, int(code[2:4], 16) / 255, int(code[4:6], 16) / 255)


def _parse(table: str) -> tuple[dict[str, str], ...]:
    header, *rows = (line.split() for line in table.strip().splitlines())
    return tuple(dict(zip(header, row, strict=True)) for row in rows)


FAMILIES: Mapping[str, tuple[Mapping[str, str], ...]] = {style: _parse(t) for style, t in _TABLES.items()}
"""Every style's colour variants, by style id: one mapping of name to ``#rrggbb`` per variant."""


class Palette:
    """The named colours a painter uses: ``palette["sky"]`` is one, ``palette.many("sun")`` a list."""

    def __init__(self, colours: Mapping[str, RGB]) -> None:
        self._colours = dict(colours)

    def __getitem__(self, name: str) -> RGB:
        return self._colours[name]

    def many(self, prefix: str) -> tuple[RGB, ...]:
        """The colours named ``prefix1``, ``prefix2`` … in order."""
        pattern = re.compile(rf"{re.escape(prefix)}(\d+)")
        numbered = [(int(m[1]), c) for n, c in self._colours.items() if (m := pattern.fullmatch(n))]
        return tuple(c for _, c in sorted(numbered))


def _nudge(rgb: RGB, hue: float, value: float, saturation: float) -> RGB:
    h, s, v = colorsys.rgb_to_hsv(*rgb)
    return colorsys.hsv_to_rgb((h + hue) % 1.0, min(1.0, s * saturation), min(1.0, v * value))


def choose(rng: np.random.Generator, style_id: str) -> Palette:
    """Pick one of the style's variants and shift it slightly, all colours together."""
    variants = FAMILIES[style_id]
    variant = variants[int(rng.integers(len(variants)))]
    hue = float(rng.uniform(-1.0, 1.0)) * HUE_JITTER[style_id]
    value = 1.0 + float(rng.uniform(-0.04, 0.04))
    saturation = 1.0 + float(rng.uniform(-0.08, 0.08))
    return Palette({name: _nudge(hex_rgb(code), hue, value, saturation) for name, code in variant.items()})
