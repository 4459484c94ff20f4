"""From a style and a seed to a finished background: paint small, protect the captions, upscale, add grain.

Painters work at a fraction of the output size (smooth content survives a
bicubic upscale); only the grain is made at full size, where it must be
fine, and that costs one random draw and one C-level add.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageChops

from oasis_plugins.procedural import landscapes, lights, shapes
from oasis_plugins.procedural.palettes import Palette, choose
from oasis_plugins.procedural.raster import Canvas, Field, luminance, smoothstep

Painter = Callable[[Canvas, np.random.Generator, Palette], Field]
"""Paints a style on a canvas from a seeded generator and a palette."""


@dataclass(frozen=True)
class Recipe:
    """How a style is made: its painter, the fraction of full size it paints at and its grain."""

    paint: Painter
    scale: int
    grain: int


RECIPES: Mapping[str, Recipe] = {
    "cinematic": Recipe(landscapes.paint_cinematic, 4, 9),
    "minimal": Recipe(shapes.paint_minimal, 3, 4),
    "neon": Recipe(lights.paint_neon, 2, 5),
    "nature": Recipe(landscapes.paint_nature, 3, 5),
    "retro": Recipe(landscapes.paint_retro, 2, 10),
    "abstract": Recipe(shapes.paint_abstract, 3, 6),
    "dreamy": Recipe(lights.paint_dreamy, 4, 4),
    "monochrome": Recipe(lights.paint_monochrome, 2, 13),
}
"""Every supported style id and how to paint it."""

CAPTION_TOP, CAPTION_BOTTOM = 0.55, 0.85
"""The band of the frame, as fractions of its height, where captions usually sit."""

CAPTION_KNEE = 0.74
"""In the caption band, brightness above this is compressed so white text stays readable."""

BLACK = 0.02
"""The darkest level an image reaches, as film never gets to pure black (and grain shows there too)."""

CAPTION_MEAN = 0.64
"""The most the caption band's mean brightness may be; a brighter band is dimmed gently."""


def protect_captions(canvas: Canvas, image: Field) -> Field:
    """Tame the highlights and the overall brightness where captions go, and lift the blacks.

    The correction fades in from well above the band and holds to the bottom
    of the frame, so it reads as the picture darkening towards the ground
    rather than as a stripe.
    """
    image = np.clip(image, 0.0, 1.0)
    weight = smoothstep(CAPTION_TOP - 0.25, CAPTION_TOP + 0.05, canvas.y)
    lum = luminance(image)
    over = np.maximum(lum - CAPTION_KNEE, 0.0)
    squeezed = np.minimum(lum, CAPTION_KNEE) + over * 0.3
    gain = squeezed / np.maximum(lum, 1e-4)
    rows = slice(int(canvas.height * CAPTION_TOP), max(int(canvas.height * CAPTION_BOTTOM), 1))
    mean = float((lum * gain)[rows].mean())
    if mean > CAPTION_MEAN:
        gain = gain * np.float32(CAPTION_MEAN / mean)
    gain = 1.0 + (gain - 1.0) * weight
    return (BLACK + (1.0 - BLACK) * image * gain[..., None]).astype(np.float32)


def to_image(image: Field) -> Image.Image:
    """A float image in 0..1 as an 8-bit RGB Pillow image."""
    return Image.fromarray((np.clip(image, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))


def add_grain(image: Image.Image, rng: np.random.Generator, amount: int) -> Image.Image:
    """Add monochrome film grain of up to ``amount`` levels (triangular, so mostly much less).

    The grain comes in two-pixel clumps, like film grain at this size; that
    also halves the cost of drawing it and of compressing the PNG.
    """
    if amount <= 0:
        return image
    width, height = image.size
    shape = ((height + 1) // 2, (width + 1) // 2)
    noise = rng.integers(0, amount + 1, shape, dtype=np.uint8)
    noise += rng.integers(0, amount + 1, shape, dtype=np.uint8)
    noise += np.uint8(128 - amount)
    layer = Image.fromarray(noise).resize((shape[1] * 2, shape[0] * 2), Image.Resampling.NEAREST)
    layer = layer.crop((0, 0, width, height))
    return ImageChops.add(image, Image.merge("RGB", (layer, layer, layer)), scale=1.0, offset=-128)


def seed_generator(seed: bytes) -> np.random.Generator:
    """A numpy generator seeded by every bit of ``seed`` (a SHA-256 digest)."""
    return np.random.default_rng(int.from_bytes(seed, "big"))


def render(style_id: str, seed: bytes, width: int, height: int) -> Image.Image:
    """Paint the background of ``style_id`` for ``seed`` as an RGB image of ``width`` x ``height``.

    The same arguments always give the same pixels. Raises ``KeyError`` for a
    style without a recipe (callers check against :data:`RECIPES` first).
    """
    recipe = RECIPES[style_id]
    rng = seed_generator(seed)
    canvas = Canvas.of(math.ceil(width / recipe.scale), math.ceil(height / recipe.scale))
    palette = choose(rng, style_id)
    painted = protect_captions(canvas, recipe.paint(canvas, rng, palette))
    image = to_image(painted)
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BICUBIC)
    return add_grain(image, rng, recipe.grain)
