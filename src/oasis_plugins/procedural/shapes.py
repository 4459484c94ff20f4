"""Painters of shapes and colour fields: the ``minimal`` and ``abstract`` styles."""

from __future__ import annotations

import numpy as np

from oasis_plugins.procedural.palettes import Palette
from oasis_plugins.procedural.raster import (
    Canvas,
    Field,
    band,
    blur,
    disc,
    fbm,
    glow,
    mix,
    ramp,
    screen,
    smoothstep,
    vignette,
)


def _shift(mask: Field, dx: int, dy: int) -> Field:
    """``mask`` moved ``dx`` pixels right and ``dy`` down, zeros coming in."""
    out = np.zeros_like(mask)
    h, w = mask.shape
    out[max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = mask[
        max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def _lay(canvas: Canvas, image: Field, mask: Field, tint: tuple[float, float, float]) -> Field:
    """Paint ``mask`` in ``tint`` over ``image`` with a soft shadow falling down and to the right."""
    offset = max(1, round(0.012 / canvas.px))
    shadow = blur(_shift(mask, offset, offset * 2), 0.02 / canvas.px)
    image = image * (1.0 - 0.16 * shadow)[..., None]
    return mix(image, tint, mask)


def _rectangle(canvas: Canvas, left: float, right: float, top: float, bottom: float) -> Field:
    """An antialiased axis-aligned rectangle mask (``left``/``right`` in widths, ``top``/``bottom`` in heights)."""
    ex, ey = 1.0 / canvas.width, 1.0 / canvas.height
    xs = smoothstep(left - ex, left + ex, canvas.x) * smoothstep(right + ex, right - ex, canvas.x)
    ys = smoothstep(top - ey, top + ey, canvas.y) * smoothstep(bottom + ey, bottom - ey, canvas.y)
    return xs * ys


def paint_minimal(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """A calm pastel gradient with one or two large clean shapes and a fine line, lots of space."""
    p = palette
    y = canvas.y
    angle = float(rng.uniform(0, 2 * np.pi))
    along = canvas.along(angle)
    t = (along - along.min()) / max(float(along.max() - along.min()), 1e-6)
    image = canvas.full(ramp(t, [(0.0, p["a"]), (1.0, p["b"])]))
    image = image * (0.975 + 0.05 * fbm(rng, canvas, 3.0, octaves=3))[..., None]
    layout = int(rng.integers(3))
    if layout == 0:
        plane = float(rng.uniform(0.6, 0.72))
        radius = float(rng.uniform(0.2, 0.3))
        cx = float(rng.uniform(0.28, 0.72))
        cy = plane - radius / canvas.sy * float(rng.uniform(0.5, 1.8))
        sun = disc(canvas, cx, cy, radius, 0.0015)
        image = mix(image, p["shape"], sun)
        ground = ramp(y, [(plane, p["plane"]), (1.0, p["b"])])
        image = mix(image, canvas.full(ground), smoothstep(plane - 0.001, plane + 0.001, y))
        image = mix(image, p["shape"], disc(canvas, cx, 2 * plane - cy, radius, 0.03) * (y > plane) * 0.18)
        image = mix(image, p["line"], band(y, plane, 1.0 / canvas.height) * 0.5)
    elif layout == 1:
        cx, half = float(rng.uniform(0.3, 0.7)), float(rng.uniform(0.15, 0.24))
        top, bottom = float(rng.uniform(0.24, 0.36)), float(rng.uniform(0.72, 0.84))
        arch = np.maximum(
            disc(canvas, cx, top, half, 0.0015),
            _rectangle(canvas, cx - half / canvas.sx, cx + half / canvas.sx, top, bottom),
        )
        image = _lay(canvas, image, arch, p["shape"])
        side = 1.0 if rng.random() < 0.5 else -1.0
        small = float(rng.uniform(0.06, 0.1))
        image = _lay(
            canvas,
            image,
            disc(canvas, cx + side * half * 0.9 / canvas.sx, top - 0.02, small, 0.0015),
            p["accent"],
        )
        image = mix(image, p["line"], band(y, bottom, 1.0 / canvas.height) * 0.5)
    else:
        side = 1.0 if rng.random() < 0.5 else -1.0
        big_x = 0.5 + side * float(rng.uniform(0.2, 0.55))
        big_y, big_r = float(rng.uniform(0.05, 0.3)), float(rng.uniform(0.42, 0.62))
        image = _lay(canvas, image, disc(canvas, big_x, big_y, big_r, 0.0015), p["shape"])
        small_x, small_y = 0.5 - side * float(rng.uniform(0.08, 0.25)), float(rng.uniform(0.55, 0.78))
        small_r = float(rng.uniform(0.12, 0.2))
        image = _lay(canvas, image, disc(canvas, small_x, small_y, small_r, 0.0015), p["accent"])
        ring = band(canvas.distance(small_x, small_y), small_r * 1.3, 0.9 * canvas.px)
        image = mix(image, p["line"], ring * 0.6)
    return image * vignette(canvas, 0.12)[..., None]


def paint_abstract(canvas: Canvas, rng: np.random.Generator, palette: Palette) -> Field:
    """Bold colour ribbons flowing across the frame, each a fluid gradient, with brush texture."""
    fields = [palette.many("field")[i] for i in rng.permutation(len(palette.many("field")))]
    count = len(fields)
    angle = float(rng.uniform(0.15, 0.85)) * np.pi + (np.pi if rng.random() < 0.5 else 0.0)
    along = canvas.along(angle)
    along = (along - along.min()) / max(float(along.max() - along.min()), 1e-6)
    warp = fbm(rng, canvas, 1.2, octaves=4, persistence=0.45) - 0.5
    cross = canvas.along(angle + np.pi / 2)
    wave = np.sin(2 * np.pi * float(rng.uniform(0.6, 1.3)) * cross + float(rng.uniform(0, 2 * np.pi)))
    ribbons = float(rng.uniform(4.5, 7.0))
    s = along * ribbons + 1.6 * warp + 0.35 * wave + float(rng.random()) * count
    index = np.floor(s).astype(np.int32)
    local = (s - index).astype(np.float32)
    table = np.asarray(fields, np.float32)
    here, ahead = table[index % count], table[(index + 1) % count]
    image = here + (ahead - here) * (smoothstep(0.55, 1.0, local) * 0.45)[..., None]
    image = image * (0.78 + 0.3 * smoothstep(0.0, 0.35, local))[..., None]
    image = screen(image, (1.0, 1.0, 1.0), band(local, 0.05, 0.04) * 0.22)
    step = np.hypot(*np.gradient(s))
    image = mix(image, ahead * np.float32(0.78), smoothstep(1.0 - 1.5 * step, 1.0, local))
    bristles = np.sin(s * np.float32(2 * np.pi * 12.0) + 6.0 * fbm(rng, canvas, 10.0, octaves=2))
    strength = 0.045 * smoothstep(0.3, 0.8, fbm(rng, canvas, 3.0, octaves=3))
    image = image * (1.0 + bristles * strength)[..., None]
    for _ in range(int(rng.integers(1, 3))):
        cx, cy = float(rng.uniform(0.1, 0.9)), float(rng.uniform(0.1, 0.9))
        tint = fields[int(rng.integers(count))]
        image = mix(image, tint, glow(canvas, cx, cy, float(rng.uniform(0.15, 0.3))) * 0.45)
    return image * vignette(canvas, 0.35)[..., None]
