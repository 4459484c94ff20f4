"""Numpy drawing primitives the painters share: a canvas, gradients, masks, noise, blur and blends.

Everything works on ``float32`` arrays with values around ``0..1``. A colour
image is an ``(height, width, 3)`` array, a mask or scalar field is
``(height, width)`` (or anything that broadcasts to it, such as a column
``(height, 1)``). Positions are normalised: ``x`` runs 0..1 across the width,
``y`` runs 0..1 down the height, and lengths (radii, widths, distances) are
measured in *units*, the length of the shorter side, so a circle stays round
and keeps its size relative to the frame whatever the aspect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from PIL import Image

Field = npt.NDArray[np.floating[Any]]
"""A float array (float32 in practice): a colour image ``(h, w, 3)`` or a scalar field ``(h, w)``."""

RGB = tuple[float, float, float]
"""A colour with channels in 0..1."""

Stops = Sequence[tuple[float, RGB]]
"""Colour stops for :func:`ramp`: ``(position, colour)`` pairs in increasing position."""


@dataclass(frozen=True, eq=False)
class Canvas:
    """A painting surface ``width`` x ``height`` pixels with normalised coordinates.

    ``x`` is a row ``(1, width)`` and ``y`` a column ``(height, 1)`` of pixel
    centres in 0..1, so expressions of both broadcast to the full image.
    ``sx`` and ``sy`` are the width and the height in units (the shorter
    side is 1): multiply an ``x`` or ``y`` difference by them to measure it in
    units, divide a length in units by them to turn it into a fraction.
    """

    width: int
    height: int
    x: Field
    y: Field
    sx: float
    sy: float

    @classmethod
    def of(cls, width: int, height: int) -> Canvas:
        """A canvas of that many pixels."""
        x = ((np.arange(width, dtype=np.float32) + 0.5) / width)[None, :]
        y = ((np.arange(height, dtype=np.float32) + 0.5) / height)[:, None]
        unit = min(width, height)
        return cls(width, height, x, y, width / unit, height / unit)

    @property
    def px(self) -> float:
        """One pixel, in units."""
        return 1.0 / min(self.width, self.height)

    def distance(self, cx: float, cy: float) -> Field:
        """The distance of every pixel from ``(cx, cy)``, in units."""
        dx = (self.x - np.float32(cx)) * np.float32(self.sx)
        dy = (self.y - np.float32(cy)) * np.float32(self.sy)
        return np.sqrt(dx * dx + dy * dy)

    def along(self, angle: float) -> Field:
        """Every pixel's position along the direction ``angle`` (radians, 0 = rightwards), in units."""
        return self.x * np.float32(self.sx * np.cos(angle)) + self.y * np.float32(self.sy * np.sin(angle))

    def full(self, image: Field) -> Field:
        """``image`` (anything that broadcasts to ``(h, w, 3)``) as a writable full-size copy."""
        return np.ascontiguousarray(np.broadcast_to(image, (self.height, self.width, 3)), dtype=np.float32)


def smoothstep(edge0: float | Field, edge1: float | Field, value: float | Field) -> Field:
    """0 below ``edge0``, 1 above ``edge1`` and a smooth S-curve between (edges may be reversed)."""
    t = np.clip((np.asarray(value, np.float32) - edge0) / (np.asarray(edge1, np.float32) - edge0), 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(np.float32, copy=False)


def ramp(t: Field, stops: Stops) -> Field:
    """Map the scalar field ``t`` through colour ``stops``: an array of ``t.shape + (3,)``."""
    positions = [p for p, _ in stops]
    channels = [np.interp(t, positions, [c[i] for _, c in stops]) for i in range(3)]
    return np.stack(channels, axis=-1).astype(np.float32)


def colour(rgb: RGB) -> Field:
    """A colour as a float32 array that broadcasts against images."""
    return np.asarray(rgb, dtype=np.float32)


def mix(base: Field, rgb: RGB | Field, mask: Field | float) -> Field:
    """``base`` blended towards ``rgb`` by ``mask`` (0 keeps ``base``, 1 gives ``rgb``)."""
    m = np.asarray(mask, np.float32)
    if m.ndim:
        m = m[..., None]
    paint = colour(rgb) if isinstance(rgb, tuple) else rgb
    return (base + (paint - base) * m).astype(np.float32, copy=False)


def screen(base: Field, rgb: RGB | Field, amount: Field | float) -> Field:
    """Light ``base`` with ``rgb`` scaled by ``amount``, like the screen blend mode."""
    a = np.asarray(amount, np.float32)
    if a.ndim:
        a = a[..., None]
    paint = colour(rgb) if isinstance(rgb, tuple) else rgb
    return (1.0 - (1.0 - base) * (1.0 - paint * a)).astype(np.float32, copy=False)


def glow(canvas: Canvas, cx: float, cy: float, radius: float) -> Field:
    """A Gaussian light centred at ``(cx, cy)`` falling to about a third at ``radius`` units."""
    d = canvas.distance(cx, cy) / np.float32(radius)
    return np.exp(-(d * d)).astype(np.float32)


def disc(canvas: Canvas, cx: float, cy: float, radius: float, soft: float = 0.0) -> Field:
    """A filled circle mask of ``radius`` units with an antialiased edge ``soft`` units wide (at least a pixel)."""
    edge = max(soft, canvas.px)
    return 1.0 - smoothstep(radius - edge, radius + edge, canvas.distance(cx, cy))


def band(value: Field, centre: float | Field, width: float) -> Field:
    """A soft line: 1 where ``value`` equals ``centre``, fading over ``width`` either side."""
    d = (np.asarray(value, np.float32) - centre) / np.float32(width)
    return np.exp(-(d * d)).astype(np.float32)


def _upsample(grid: npt.NDArray[np.float32], width: int, height: int) -> Field:
    """Bicubic upsampling of a padded lattice, leaving its one-cell margin outside the frame."""
    rows, cols = grid.shape
    box = (1.0, 1.0, float(cols - 2), float(rows - 2))
    resized = Image.fromarray(grid).resize((width, height), Image.Resampling.BICUBIC, box=box)
    return np.asarray(resized, dtype=np.float32)


def _normalise(field: Field) -> Field:
    low, high = float(field.min()), float(field.max())
    return ((field - low) / max(high - low, 1e-6)).astype(np.float32, copy=False)


def fbm(
    rng: np.random.Generator,
    canvas: Canvas,
    cells: float,
    *,
    octaves: int = 4,
    persistence: float = 0.5,
    stretch: float = 1.0,
) -> Field:
    """Fractal value noise in 0..1 with about ``cells`` blobs per unit.

    ``stretch`` above 1 packs more cells vertically than horizontally, giving
    horizontal streaks (clouds, water, brush strokes).
    """
    total = np.zeros((canvas.height, canvas.width), np.float32)
    amplitude = 1.0
    for octave in range(octaves):
        across = max(1, round(cells * 2**octave * canvas.sx))
        down = max(1, round(cells * 2**octave * canvas.sy * stretch))
        grid = rng.random((down + 3, across + 3), dtype=np.float32)
        total += np.float32(amplitude) * _upsample(grid, canvas.width, canvas.height)
        amplitude *= persistence
    return _normalise(total)


def noise_line(
    rng: np.random.Generator, canvas: Canvas, cells: float, *, octaves: int = 4, persistence: float = 0.5
) -> Field:
    """A smooth random profile, one value in 0..1 per column, with about ``cells`` bumps per unit (a ridgeline)."""
    total = np.zeros((1, canvas.width), np.float32)
    amplitude = 1.0
    for octave in range(octaves):
        across = max(1, round(cells * 2**octave * canvas.sx))
        grid = rng.random((4, across + 3), dtype=np.float32)
        total += np.float32(amplitude) * _upsample(grid, canvas.width, 1)
        amplitude *= persistence
    return _normalise(total[0])


def periodic_noise(rng: np.random.Generator, angle: Field, lobes: int, sharpness: float) -> Field:
    """Smooth random values around a circle, sampled at ``angle`` (radians): the pattern of light rays."""
    knots = rng.random(lobes + 1).astype(np.float32)
    knots[-1] = knots[0]
    position = np.clip((angle / np.float32(2 * np.pi) + 0.5) * lobes, 0.0, lobes - 1e-4)
    index = position.astype(np.int32)
    t = position - index
    t = t * t * (3.0 - 2.0 * t)
    values = knots[index] * (1.0 - t) + knots[index + 1] * t
    return np.power(values, np.float32(sharpness)).astype(np.float32)


def _box(a: Field, radius: int, axis: int) -> Field:
    a = np.moveaxis(a, axis, 0)
    padded = np.concatenate([np.repeat(a[:1], radius + 1, 0), a, np.repeat(a[-1:], radius, 0)])
    summed = np.cumsum(padded, axis=0, dtype=np.float32)
    out = (summed[2 * radius + 1 :] - summed[: -(2 * radius + 1)]) / np.float32(2 * radius + 1)
    return np.moveaxis(out, 0, axis)


def blur(a: Field, sigma: float) -> Field:
    """A Gaussian-like blur of ``sigma`` pixels (three box passes; large ones run at reduced size)."""
    if sigma < 0.5:
        return a
    factor = max(1, int(sigma // 4))
    height, width = a.shape[:2]
    if factor > 1:
        h, w = height // factor, width // factor
        small = a[: h * factor, : w * factor].reshape(h, factor, w, factor, *a.shape[2:]).mean(axis=(1, 3))
        small = blur(small.astype(np.float32), sigma / factor)
        return _resize(small, width, height)
    radius = max(1, round(sigma))
    out = a
    for _ in range(3):
        out = _box(_box(out, radius, 0), radius, 1)
    return out.astype(np.float32, copy=False)


def _resize(a: Field, width: int, height: int) -> Field:
    if a.ndim == 2:
        return np.asarray(Image.fromarray(a).resize((width, height), Image.Resampling.BICUBIC), np.float32)
    return np.stack([_resize(np.ascontiguousarray(a[..., i]), width, height) for i in range(a.shape[2])], -1)


def luminance(image: Field) -> Field:
    """The brightness of every pixel (Rec. 709 weights on the encoded values)."""
    return (image @ np.asarray([0.2126, 0.7152, 0.0722], np.float32)).astype(np.float32)


def saturate(image: Field, amount: float) -> Field:
    """Scale colourfulness by ``amount`` (0 gives grey, 1 leaves the image as it is)."""
    grey = luminance(image)[..., None]
    return (grey + (image - grey) * np.float32(amount)).astype(np.float32, copy=False)


def vignette(canvas: Canvas, strength: float, start: float = 0.35) -> Field:
    """A darkening factor, 1 in the middle falling by ``strength`` towards the corners."""
    dx = (canvas.x - 0.5) * 2.0
    dy = (canvas.y - 0.5) * 2.0
    r = np.sqrt(dx * dx + dy * dy) / np.float32(np.sqrt(2.0))
    return 1.0 - np.float32(strength) * smoothstep(start, 1.0, r)


def split_tone(image: Field, shadows: RGB, highlights: RGB, amount: float) -> Field:
    """Tint the dark parts towards ``shadows`` and the bright parts towards ``highlights``."""
    lum = luminance(image)[..., None]
    out = image + (colour(shadows) - 0.5) * (1.0 - lum) * amount + (colour(highlights) - 0.5) * lum * amount
    return out.astype(np.float32, copy=False)


def soft_clip(image: Field, knee: float = 0.8) -> Field:
    """Roll values above ``knee`` smoothly towards 1 instead of clipping them hard."""
    over = np.maximum(image - np.float32(knee), 0.0)
    room = np.float32(1.0 - knee)
    return (np.minimum(image, knee) + room * np.tanh(over / room)).astype(np.float32)
